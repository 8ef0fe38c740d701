// The deterministic brief engine. It is incremental: `add` analyses one message and folds it into
// running aggregates (facts by value, actions, open questions, sentiment, effort, the best
// statement), so a new message costs one message's analysis plus rendering, never a re-read of
// the transcript. `brief()` renders the current aggregates.

import { factKey, type ExtractedFact } from '../facts/fact-extractor';
import { IntentClassifier, type IntentPrediction } from '../intent/intent-classifier';
import type { IntentTaxonomy } from '../intent/intent-taxonomy';
import { clip } from '../text/tokenizer';
import { BRIEF_LIMITS, type BriefAction, type BriefContent, type BriefKeyFact } from './brief.types';
import {
  analyseMessage,
  type AnalyseOptions,
  type AnalysedSentence,
  type MessageAnalysis,
} from './message-analysis';
import { SummaryRenderer } from './brief-rendering';
import type { TranscriptMessage } from './transcript';

export const ENGINE = { name: 'deterministic', version: '1.0.0' } as const;

/** Customer messages whose text decides the intent: the opening request, not later small talk. */
const INTENT_MESSAGES = 5;
/** Customer letters after which the conversation's language is considered known. */
const LANGUAGE_SETTLED_LETTERS = 2000;
/** A gap this long between customer messages counts as a new contact. */
const NEW_CONTACT_GAP_MS = 8 * 3600_000;

interface Candidate {
  text: string;
  score: number;
  messageId: string;
  problem: boolean;
}

/** What the customer had said before a point in time: the reference for repeat detection. */
export interface PriorKnowledge {
  facts: { kind: ExtractedFact['kind']; value: string; normalized?: string; evidence: string[] }[];
  sentences: { messageId: string; norm: string; stems: string[] }[];
  coversPosition: number;
}

/** A taxonomy compiled once (classifier trained) and shared by every engine of a tenant. */
export class CompiledTaxonomy {
  readonly classifier: IntentClassifier;
  private readonly nextSteps: Map<string, string>;

  constructor(readonly taxonomy: IntentTaxonomy) {
    this.classifier = new IntentClassifier(
      taxonomy.intents.map((i) => ({
        name: i.name,
        examples: i.examples.filter((e) => e.trim().length > 0),
        ...(i.description ? { description: i.description } : {}),
      })),
    );
    this.nextSteps = new Map(
      taxonomy.intents.flatMap((i) => (i.suggestedNextStep ? [[i.name, i.suggestedNextStep] as const] : [])),
    );
  }

  nextStepOf(label: string): string | undefined {
    return this.nextSteps.get(label);
  }
}

/**
 * Evidence with one more message id, or undefined when it would not change (full, or already citing
 * the message). Ids are appended in fold order and a message is folded once, so a message already
 * cited is the last id: checking it spares a scan of up to 200 ids per fact and per message.
 */
const withEvidence = (evidence: readonly string[], id: string): string[] | undefined =>
  evidence.length < BRIEF_LIMITS.evidence && evidence[evidence.length - 1] !== id
    ? [...evidence, id]
    : undefined;

/** The objective's message and the first message of the latest failed action, if any. */
function objectiveEvidence(messageId: string, latestFailed: BriefAction | undefined): string[] {
  const evidence = [messageId];
  const first = latestFailed?.evidence[0];
  if (first !== undefined) evidence.push(first);
  return evidence;
}

/** Result of {@link BriefEngine.add}. */
export type AddResult = 'added' | 'duplicate' | 'out_of_order';

export class BriefEngine {
  private readonly seen = new Set<string>();
  private lastSequence = 0;
  private lastMessageId: string | undefined;
  private messageCount = 0;
  private customerMessages = 0;
  /** Index of each fact (by key) in `factList`, which keeps first-seen order for rendering. */
  private readonly facts = new Map<string, number>();
  private readonly factList: BriefKeyFact[] = [];
  /**
   * Actions in order; the brief shows those from `firstAction` on (the newest
   * `BRIEF_LIMITS.actions`). Dropping the oldest moves `firstAction` instead of shifting the array
   * and renumbering `unconfirmed` on every new action; the log is compacted now and then.
   */
  private actionLog: BriefAction[] = [];
  private firstAction = 0;
  /** Actions not yet confirmed or refuted by the customer (indexes into `actionLog`). */
  private unconfirmed: number[] = [];
  private customerQuestions: { question: string; evidence: string[] }[] = [];
  private agentQuestions: { question: string; evidence: string[] }[] = [];
  private readonly sentiments: number[] = [];
  private statement: Candidate | undefined;
  private objective: Candidate | undefined;
  private intentText = '';
  private intentEvidence: string[] = [];
  private intent: IntentPrediction | undefined;
  private readonly languages = new Map<string, number>();
  private languageLetters = 0;
  private repeatContacts = 0;
  private channelSwitches = 0;
  private waitingMs = 0;
  private waitingSince: number | undefined;
  private lastChannel: string | undefined;
  private lastCustomerAt: number | undefined;
  private htmlMessages = 0;
  private quotedMessages = 0;
  private readonly customerSentences: PriorKnowledge['sentences'] = [];

  private readonly analyseOptions: AnalyseOptions;
  private readonly settledOptions: AnalyseOptions;
  private readonly renderer = new SummaryRenderer();

  constructor(private readonly taxonomy: CompiledTaxonomy) {
    this.analyseOptions = taxonomy.taxonomy.products ? { products: taxonomy.taxonomy.products } : {};
    this.settledOptions = { ...this.analyseOptions, detectLanguage: false };
  }

  /** Highest sequence folded in so far. */
  get position(): number {
    return this.lastSequence;
  }

  get count(): number {
    return this.messageCount;
  }

  /**
   * Folds one message in. Messages must come in sequence order; a message older than the last one
   * is refused (`out_of_order`) so the caller can rebuild from the ordered transcript.
   */
  add(message: TranscriptMessage): AddResult {
    if (this.seen.has(message.id)) return 'duplicate';
    if (message.sequence <= this.lastSequence) return 'out_of_order';
    // Once the language is settled the fold ignores a message's language: identifying it again
    // for every message would be the largest part of an incremental update.
    const settled = this.languageLetters >= LANGUAGE_SETTLED_LETTERS;
    this.fold(analyseMessage(message, settled ? this.settledOptions : this.analyseOptions));
    return 'added';
  }

  /** The analysis of a message with this engine's taxonomy (products). */
  analyse(message: TranscriptMessage): MessageAnalysis {
    return analyseMessage(message, this.analyseOptions);
  }

  /** Folds an analysis made by {@link analyse} (same ordering rules as {@link add}). */
  addAnalysed(analysis: MessageAnalysis): AddResult {
    if (this.seen.has(analysis.id)) return 'duplicate';
    if (analysis.sequence <= this.lastSequence) return 'out_of_order';
    this.fold(analysis);
    return 'added';
  }

  private fold(m: MessageAnalysis): void {
    this.seen.add(m.id);
    this.lastSequence = m.sequence;
    this.lastMessageId = m.id;
    this.messageCount += 1;
    if (m.htmlStripped) this.htmlMessages += 1;
    if (m.quotedRemoved) this.quotedMessages += 1;
    if (m.channel !== undefined) {
      if (this.lastChannel !== undefined && m.channel !== this.lastChannel) this.channelSwitches += 1;
      this.lastChannel = m.channel;
    }
    for (const fact of m.facts) this.addFact(fact, m.id);
    if (m.sender === 'customer') this.foldCustomer(m);
    else this.foldResponder(m);
  }

  private addFact(fact: ExtractedFact, messageId: string): void {
    const key = factKey(fact);
    const index = this.facts.get(key);
    const known = index === undefined ? undefined : this.factList[index];
    // Items are replaced, never mutated: a rendered brief shares them without copying.
    if (index !== undefined && known) {
      const evidence = withEvidence(known.evidence, messageId);
      if (evidence) this.factList[index] = { ...known, evidence };
    } else if (this.factList.length < BRIEF_LIMITS.facts) {
      this.facts.set(key, this.factList.length);
      this.factList.push({
        kind: fact.kind,
        value: fact.value,
        ...(fact.normalized !== undefined ? { normalized: fact.normalized } : {}),
        evidence: [messageId],
      });
    }
  }

  private foldCustomer(m: MessageAnalysis): void {
    this.customerMessages += 1;
    if (m.letters > 0 && this.languageLetters < LANGUAGE_SETTLED_LETTERS) {
      this.languages.set(m.language, (this.languages.get(m.language) ?? 0) + m.letters);
      this.languageLetters += m.letters;
    }
    if (this.lastCustomerAt !== undefined && m.sentAtMs - this.lastCustomerAt >= NEW_CONTACT_GAP_MS)
      this.repeatContacts += 1;
    else if (m.repeatContactCue) this.repeatContacts += 1;
    this.lastCustomerAt = m.sentAtMs;
    if (this.waitingSince === undefined) this.waitingSince = m.sentAtMs;
    this.sentiments.push(m.sentiment);

    // The customer's reaction settles the outcome of what the agent or bot just did.
    if (m.feedback !== undefined) {
      for (const index of this.unconfirmed) {
        const action = this.actionLog[index];
        if (index < this.firstAction || !action || action.by === 'customer') continue;
        this.actionLog[index] = {
          ...action,
          outcome: m.feedback === 'positive' ? 'worked' : 'failed',
          evidence: withEvidence(action.evidence, m.id) ?? action.evidence,
        };
      }
      this.unconfirmed = [];
    }
    for (const action of m.actions) this.addAction(m, action.description, action.outcome);
    this.agentQuestions = [];

    m.sentences.forEach((s, i) => {
      if (s.stems.length >= 3 && this.customerSentences.length < 20_000)
        this.customerSentences.push({ messageId: m.id, norm: s.norm, stems: s.stems });
      this.considerStatement(s, m, i);
      if (s.need > 0 && s.stems.length >= 2) {
        this.objective = { text: s.text, score: s.need, messageId: m.id, problem: s.problem };
      }
      if (s.question && s.stems.length >= 2 && this.customerQuestions.length < BRIEF_LIMITS.questions)
        this.customerQuestions.push({ question: clip(s.text, 1000), evidence: [m.id] });
    });

    if (this.customerMessages <= INTENT_MESSAGES && m.text.length > 0) {
      this.intentText = `${this.intentText} ${m.text.slice(0, 2000)}`.slice(0, 6000);
      this.intentEvidence.push(m.id);
      this.intent = undefined;
    }
  }

  private considerStatement(s: AnalysedSentence, m: MessageAnalysis, index: number): void {
    if (s.stems.length < 2) return;
    const order = this.customerMessages;
    const positionBonus = order === 1 ? (index === 0 ? 2 : 1.2) : order <= 3 ? 0.6 : 0;
    const score = s.need * 1.5 + Math.min(s.stems.length, 15) / 10 + positionBonus;
    if (!this.statement || score > this.statement.score)
      this.statement = { text: s.text, score, messageId: m.id, problem: s.problem };
  }

  private foldResponder(m: MessageAnalysis): void {
    if (this.waitingSince !== undefined && m.sender !== 'system') {
      if (m.sentAtMs > this.waitingSince) this.waitingMs += m.sentAtMs - this.waitingSince;
      this.waitingSince = undefined;
    }
    if (m.sender !== 'system') this.customerQuestions = [];
    for (const action of m.actions) this.addAction(m, action.description, action.outcome);
    for (const s of m.sentences) {
      if (s.question && s.stems.length >= 2 && this.agentQuestions.length < BRIEF_LIMITS.questions)
        this.agentQuestions.push({ question: clip(s.text, 1000), evidence: [m.id] });
    }
  }

  private addAction(m: MessageAnalysis, description: string, outcome: BriefAction['outcome']): void {
    if (this.actionLog.length - this.firstAction >= BRIEF_LIMITS.actions) {
      // Keep the newest: the receiver needs what happened last more than the first greetings.
      this.firstAction += 1;
      if (this.firstAction >= BRIEF_LIMITS.actions) {
        const first = this.firstAction;
        this.actionLog = this.actionLog.slice(first);
        this.unconfirmed = this.unconfirmed.map((i) => i - first).filter((i) => i >= 0);
        this.firstAction = 0;
      }
    }
    const action: BriefAction = {
      description,
      by: m.sender,
      at: m.sentAt,
      outcome,
      evidence: [m.id],
    };
    if (m.senderId !== undefined) action.actorId = m.senderId;
    this.actionLog.push(action);
    if (m.sender !== 'customer' && outcome !== 'failed') this.unconfirmed.push(this.actionLog.length - 1);
  }

  private currentIntent(): IntentPrediction {
    if (!this.intent) {
      this.intent =
        this.intentText.trim().length === 0
          ? { label: 'unknown', confidence: 0, ranking: [] }
          : this.taxonomy.classifier.classify(this.intentText);
    }
    return this.intent;
  }

  private language(): string {
    let best = 'und';
    let weight = 0;
    for (const [tag, letters] of this.languages) {
      if (letters > weight) {
        best = tag;
        weight = letters;
      }
    }
    return best;
  }

  /** What the customer had said so far, for repeat detection after a handoff. */
  knowledge(): PriorKnowledge {
    return {
      facts: this.factList.map((f) => ({ ...f, evidence: [...f.evidence] })),
      sentences: this.customerSentences.map((s) => ({ ...s })),
      coversPosition: this.lastSequence,
    };
  }

  /** Renders the brief of everything folded in so far. */
  brief(): BriefContent {
    const prediction = this.currentIntent();
    const hasCustomer = this.statement !== undefined;
    const intentLabel = prediction.confidence >= 0.08 ? prediction.label : 'unknown';
    const language = this.language();
    const intent = {
      label: intentLabel,
      confidence: intentLabel === 'unknown' ? 0 : prediction.confidence,
      statement: this.statement
        ? clip(this.statement.text, 1000)
        : 'The customer has not written anything yet.',
      evidence: this.statement ? [this.statement.messageId] : [],
    };
    const latestFailed = this.latestAction((a) => a.outcome === 'failed' && a.by !== 'customer');
    const objective = this.objective
      ? {
          statement: clip(this.objective.text, 1000),
          blocker: this.objective.problem || latestFailed !== undefined,
          evidence: objectiveEvidence(this.objective.messageId, latestFailed),
        }
      : {
          statement: hasCustomer ? intent.statement : 'No customer request yet.',
          blocker: false,
          evidence: [...intent.evidence],
        };
    const openQuestions = [...this.customerQuestions, ...this.agentQuestions]
      .slice(0, BRIEF_LIMITS.questions)
      .map((q) => ({
        question: q.question,
        evidence: [...q.evidence],
      }));
    const actionsTaken = this.actionLog.slice(this.firstAction);
    const keyFacts = this.factList.slice();
    const sentiment = this.sentiment();
    const effort = {
      repeatContacts: this.repeatContacts,
      channelSwitches: this.channelSwitches,
      waitingSeconds: Math.round(this.waitingMs / 1000),
    };
    const pendingAction = this.latestAction((a) => a.outcome === 'pending' && a.by !== 'customer');
    const customerQuestion = this.customerQuestions[0];
    const suggestedNextStep = !hasCustomer
      ? undefined
      : latestFailed
        ? clip(
            `"${latestFailed.description}" did not work: try a different fix rather than repeating it.`,
            1000,
          )
        : customerQuestion
          ? clip(`Answer the customer's open question: "${customerQuestion.question}"`, 1000)
          : pendingAction
            ? clip(`Follow up on: "${pendingAction.description}"`, 1000)
            : (this.taxonomy.nextStepOf(intent.label) ??
              (objective.blocker ? clip(`Resolve: "${objective.statement}"`, 1000) : undefined));
    const notes: string[] = [];
    if (language !== 'en' && language !== 'und')
      notes.push(`The conversation is not in English (${language}); facts are kept as written.`);
    if (language === 'und' && hasCustomer) notes.push('The conversation language could not be determined.');
    if (this.quotedMessages > 0)
      notes.push(`Quoted reply history was ignored in ${this.quotedMessages} message(s).`);
    if (this.htmlMessages > 0) notes.push(`${this.htmlMessages} HTML message(s) were read as plain text.`);
    if (this.messageCount > 0 && !hasCustomer)
      notes.push('No customer message yet: only bot or agent messages.');

    const content: BriefContent = {
      language,
      intent,
      keyFacts,
      actionsTaken,
      objective,
      openQuestions,
      sentiment,
      effort,
      summary: '',
      coversPosition: this.lastSequence,
      messageCount: this.messageCount,
      notes,
    };
    if (suggestedNextStep !== undefined) content.suggestedNextStep = suggestedNextStep;
    if (this.lastMessageId !== undefined) content.coversMessageId = this.lastMessageId;
    content.summary = this.renderer.render(content, this.messageCount);
    return content;
  }

  private latestAction(test: (action: BriefAction) => boolean): BriefAction | undefined {
    for (let i = this.actionLog.length - 1; i >= this.firstAction; i -= 1) {
      const action = this.actionLog[i];
      if (action && test(action)) return action;
    }
    return undefined;
  }

  private sentiment(): BriefContent['sentiment'] {
    const scores = this.sentiments;
    const n = scores.length;
    // The mean of scores[from, to) counted from the end, summed in order (what slice + reduce gave).
    const mean = (fromEnd: number, toEnd: number): number => {
      const start = Math.max(0, n - fromEnd);
      const end = n - toEnd;
      if (end <= start) return 0;
      let sum = 0;
      for (let i = start; i < end; i += 1) sum += scores[i] ?? 0;
      return sum / (end - start);
    };
    // The latest message weighs most: "that worked, thanks" after a complaint is a positive moment.
    const last = scores[n - 1] ?? 0;
    const recent = n <= 1 ? last : 0.6 * last + 0.4 * mean(3, 1);
    const earlier = mean(6, 3);
    const current = recent > 0.15 ? 'positive' : recent < -0.15 ? 'negative' : 'neutral';
    const trend =
      n < 4
        ? 'stable'
        : recent - earlier > 0.2
          ? 'improving'
          : recent - earlier < -0.2
            ? 'worsening'
            : 'stable';
    return { current, trend };
  }
}

/** A brief of a whole transcript in one call (sorted by sequence; duplicates ignored). */
export function briefOf(messages: readonly TranscriptMessage[], taxonomy: CompiledTaxonomy): BriefContent {
  const engine = new BriefEngine(taxonomy);
  for (const message of [...messages].sort((a, b) => a.sequence - b.sequence)) engine.add(message);
  return engine.brief();
}
