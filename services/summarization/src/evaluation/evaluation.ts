// The offline evaluation of the brief engine on the shared public samples (see README of each in
// ../shared/data). Every figure is computed in this run, including the floors it is compared with.

import { briefOf, BriefEngine, CompiledTaxonomy } from '../domain/brief/brief-engine';
import type { BriefContent } from '../domain/brief/brief.types';
import type { TranscriptMessage } from '../domain/brief/transcript';
import { extractFacts } from '../domain/facts/fact-extractor';
import { IntentClassifier } from '../domain/intent/intent-classifier';
import { induceIntents } from '../domain/intent/intent-induction';
import { DEFAULT_TAXONOMY } from '../domain/intent/intent-taxonomy';
import { RepeatDetector } from '../domain/repeat/repeat-detector';
import { contentStems, splitSentences } from '../domain/text/tokenizer';
import {
  loadBanking77Train,
  loadDstc11,
  loadSgd,
  loadTweetSumm,
  seededRandom,
  shuffled,
  type SgdDialogue,
  type TweetSummDialogue,
} from './datasets';
import { ari, clusteringAccuracy, nmi, rougeAgainst, setPrf } from './metrics';

const taxonomy = new CompiledTaxonomy(DEFAULT_TAXONOMY);
const SENT_AT = '2026-01-10T09:00:00.000Z';
export const EVAL_SEED = 20_260_110;

type Rouge = { r1: number; r2: number; rl: number };
const zero = (): Rouge => ({ r1: 0, r2: 0, rl: 0 });
const addInto = (acc: Rouge, x: Rouge, n: number): void => {
  acc.r1 += x.r1 / n;
  acc.r2 += x.r2 / n;
  acc.rl += x.rl / n;
};

export function tweetSummTranscript(d: TweetSummDialogue): TranscriptMessage[] {
  return d.turns.map((t, i) => ({
    id: `t${t.index}`,
    sequence: i + 1,
    sender: t.speaker === 'customer' ? 'customer' : 'agent',
    text: t.text,
    sentAt: SENT_AT,
  }));
}

/** The customer part and the agent part of a brief paragraph. */
function briefParts(summary: string): { customer: string; agent: string } {
  const sentences = splitSentences(summary);
  const agent = sentences.filter((s) => /^The (agent|bot)\b/.test(s)).join(' ');
  const customer = sentences.filter((s) => !/^The (agent|bot)\b/.test(s) && !/^Key facts/.test(s)).join(' ');
  return { customer, agent };
}

export interface TweetSummResult {
  dialogues: number;
  brief: Rouge;
  floorFirstCustomer: Rouge;
  floorFirstCustomerLastAgent: Rouge;
  customerPart: { brief: Rouge; floor: Rouge };
  agentPart: { brief: Rouge; floor: Rouge };
  evidence: { precision: number; recall: number };
}

export function evaluateTweetSumm(dialogues: readonly TweetSummDialogue[]): TweetSummResult {
  const n = dialogues.length;
  const result: TweetSummResult = {
    dialogues: n,
    brief: zero(),
    floorFirstCustomer: zero(),
    floorFirstCustomerLastAgent: zero(),
    customerPart: { brief: zero(), floor: zero() },
    agentPart: { brief: zero(), floor: zero() },
    evidence: { precision: 0, recall: 0 },
  };
  for (const d of dialogues) {
    const brief = briefOf(tweetSummTranscript(d), taxonomy);
    const references = d.abstractive_summaries.map((s) => s.join(' '));
    const customerRefs = d.abstractive_summaries.map((s) => s[0] ?? '');
    const agentRefs = d.abstractive_summaries.map((s) => s.slice(1).join(' '));
    const firstCustomer = d.turns.find((t) => t.speaker === 'customer')?.text ?? '';
    const lastAgent = [...d.turns].reverse().find((t) => t.speaker === 'agent')?.text ?? '';
    addInto(result.brief, rougeAgainst(brief.summary, references), n);
    addInto(result.floorFirstCustomer, rougeAgainst(firstCustomer, references), n);
    addInto(result.floorFirstCustomerLastAgent, rougeAgainst(`${firstCustomer} ${lastAgent}`, references), n);
    const parts = briefParts(brief.summary);
    addInto(result.customerPart.brief, rougeAgainst(parts.customer, customerRefs), n);
    addInto(result.customerPart.floor, rougeAgainst(firstCustomer, customerRefs), n);
    addInto(result.agentPart.brief, rougeAgainst(parts.agent, agentRefs), n);
    addInto(result.agentPart.floor, rougeAgainst(lastAgent, agentRefs), n);

    const predicted = new Set(evidenceOf(brief));
    const perAnnotator = d.extractive_summaries.filter((e) => e.length > 0);
    for (const extractive of perAnnotator) {
      const gold = new Set(extractive.map((e) => `t${e.turn_index}`));
      const prf = setPrf(predicted, gold);
      result.evidence.precision += prf.precision / perAnnotator.length / n;
      result.evidence.recall += prf.recall / perAnnotator.length / n;
    }
  }
  return result;
}

/** Message ids the brief's narrative items cite (intent, objective, actions, questions). */
function evidenceOf(brief: BriefContent): string[] {
  return [
    ...brief.intent.evidence,
    ...brief.objective.evidence,
    ...brief.actionsTaken.slice(-2).flatMap((a) => a.evidence.slice(0, 1)),
  ];
}

// ---- SGD -----------------------------------------------------------------------------------------

const SGD_KIND = (slot: string): 'date' | 'amount' | 'phone' | 'email' | undefined => {
  if (/date/.test(slot)) return 'date';
  if (/price|fare|amount|balance|cost|rent/.test(slot)) return 'amount';
  if (/phone/.test(slot)) return 'phone';
  if (/email/.test(slot)) return 'email';
  return undefined;
};

export interface SgdResult {
  dialogues: number;
  entities: { precision: number; recall: number; gold: number; predicted: number; allSlotsRecall: number };
  actions: { recall: number; keyArgumentRecall: number; calls: number };
  outcome: { accuracy: number; judged: number };
}

const overlaps = (a: string, b: string): boolean => {
  const x = a.toLowerCase().trim();
  const y = b.toLowerCase().trim();
  return x.length > 0 && y.length > 0 && (x.includes(y) || y.includes(x));
};

export function evaluateSgd(dialogues: readonly SgdDialogue[]): SgdResult {
  let goldCovered = 0;
  let goldCoveredHit = 0;
  let goldAll = 0;
  let goldAllHit = 0;
  let predictedCount = 0;
  let predictedHit = 0;
  let calls = 0;
  let callsHit = 0;
  let args = 0;
  let argsHit = 0;
  let judged = 0;
  let judgedRight = 0;
  for (const d of dialogues) {
    const transcript: TranscriptMessage[] = d.turns.map((t, i) => ({
      id: `t${i}`,
      sequence: i + 1,
      sender: t.speaker === 'USER' ? 'customer' : 'agent',
      text: t.utterance,
      sentAt: SENT_AT,
    }));
    const brief = briefOf(transcript, taxonomy);
    const gold: { turn: string; kind: ReturnType<typeof SGD_KIND>; value: string }[] = [];
    d.turns.forEach((t, i) => {
      for (const frame of t.frames)
        for (const s of frame.slots ?? [])
          gold.push({
            turn: `t${i}`,
            kind: SGD_KIND(s.slot),
            value: t.utterance.slice(s.start, s.exclusive_end),
          });
    });
    const factsByTurn = brief.keyFacts.flatMap((f) => f.evidence.map((turn) => ({ turn, fact: f })));
    for (const g of gold) {
      const hit = factsByTurn.some(
        (x) => x.turn === g.turn && overlaps(x.fact.value, g.value) && (!g.kind || x.fact.kind === g.kind),
      );
      goldAll += 1;
      if (hit) goldAllHit += 1;
      if (g.kind) {
        goldCovered += 1;
        if (hit) goldCoveredHit += 1;
      }
    }
    for (const x of factsByTurn) {
      if (!['date', 'amount', 'phone', 'email'].includes(x.fact.kind)) continue;
      predictedCount += 1;
      if (gold.some((g) => g.turn === x.turn && g.kind === x.fact.kind && overlaps(x.fact.value, g.value)))
        predictedHit += 1;
    }

    d.turns.forEach((t, i) => {
      for (const frame of t.frames) {
        if (!frame.service_call) continue;
        calls += 1;
        const matched = brief.actionsTaken.filter((a) => a.by !== 'customer' && a.evidence[0] === `t${i}`);
        if (matched.length > 0) callsHit += 1;
        const text = matched.map((a) => a.description).join(' ');
        for (const value of Object.values(frame.service_call.parameters)) {
          args += 1;
          // An argument counts when the matched action states it, or the brief holds it as a key
          // fact from a turn up to the call (a date "March 14th" normalised "--03-14" = "2019-03-14").
          const asFact = brief.keyFacts.some(
            (f) =>
              f.evidence.some((turn) => Number(turn.slice(1)) <= i) &&
              (overlaps(f.value, value) ||
                (f.normalized !== undefined &&
                  (f.normalized === value || value.endsWith(f.normalized.replace(/^-/, ''))))),
          );
          if (matched.length > 0 && (overlaps(text, value) || asFact)) argsHit += 1;
        }
        const notify = frame.actions.find((a) => a.act === 'NOTIFY_SUCCESS' || a.act === 'NOTIFY_FAILURE');
        if (notify) {
          judged += 1;
          const expected = notify.act === 'NOTIFY_SUCCESS' ? 'worked' : 'failed';
          if (matched.some((a) => a.outcome === expected)) judgedRight += 1;
        }
      }
    });
  }
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  return {
    dialogues: dialogues.length,
    entities: {
      precision: ratio(predictedHit, predictedCount),
      recall: ratio(goldCoveredHit, goldCovered),
      gold: goldCovered,
      predicted: predictedCount,
      allSlotsRecall: ratio(goldAllHit, goldAll),
    },
    actions: { recall: ratio(callsHit, calls), keyArgumentRecall: ratio(argsHit, args), calls },
    outcome: { accuracy: ratio(judgedRight, judged), judged },
  };
}

// ---- intents -------------------------------------------------------------------------------------

export interface Banking77Result {
  shots: number;
  intents: number;
  evaluated: number;
  accuracy: number;
}

export function evaluateBanking77(
  rows: readonly { text: string; label: string }[],
  shots = 10,
  seed = EVAL_SEED,
): Banking77Result {
  const random = seededRandom(seed);
  const byLabel = new Map<string, number[]>();
  rows.forEach((r, i) => byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), i]));
  const train = new Set<number>();
  const sets = [...byLabel.keys()].sort().map((label) => {
    const picked = shuffled(byLabel.get(label) ?? [], random).slice(0, shots);
    for (const i of picked) train.add(i);
    return { name: label, examples: picked.map((i) => rows[i]?.text ?? '') };
  });
  const classifier = new IntentClassifier(sets);
  let evaluated = 0;
  let correct = 0;
  rows.forEach((r, i) => {
    if (train.has(i)) return;
    evaluated += 1;
    if (classifier.classify(r.text).label === r.label) correct += 1;
  });
  return { shots, intents: sets.length, evaluated, accuracy: evaluated === 0 ? 0 : correct / evaluated };
}

export interface ClusteringResult {
  utterances: number;
  goldIntents: number;
  accuracy: number;
  nmi: number;
  ari: number;
}

/** DSTC11 intent induction with k = the number of gold intents of the sample (stated in the table). */
export function evaluateDstc11(rows: readonly { utterance: string; intent: string }[]): ClusteringResult {
  const gold = rows.map((r) => r.intent);
  const k = new Set(gold).size;
  const predicted = induceIntents(
    rows.map((r) => r.utterance),
    k,
  ).map(String);
  return {
    utterances: rows.length,
    goldIntents: k,
    accuracy: clusteringAccuracy(predicted, gold),
    nmi: nmi(predicted, gold),
    ari: ari(predicted, gold),
  };
}

// ---- repeats -------------------------------------------------------------------------------------

const SYNONYMS: Record<string, string> = {
  order: 'purchase',
  purchase: 'order',
  help: 'assist',
  problem: 'issue',
  issue: 'problem',
  received: 'got',
  got: 'received',
  buy: 'purchase',
  bought: 'purchased',
  phone: 'mobile',
  money: 'funds',
  cancel: 'call off',
  tried: 'attempted',
  broken: 'not working',
  charged: 'billed',
  delivery: 'shipment',
  package: 'parcel',
  account: 'profile',
  refund: 'money back',
  app: 'application',
  wrong: 'incorrect',
  never: 'not ever',
  still: 'yet',
  waiting: 'been waiting',
  please: 'kindly',
  want: 'would like',
  need: 'require',
};

/**
 * A rule-based paraphrase: synonyms, no first-person pronouns, every third remaining word dropped
 * (a shorter restatement), the clauses around a comma swapped.
 */
export function paraphrase(sentence: string): string {
  const words = sentence
    .replace(/[.!?]+$/, '')
    .split(/\s+/)
    .filter((w) => !/^(i|i'm|i've|my|me|so|just|really|the)$/i.test(w))
    .filter((_, i) => i % 3 !== 2)
    .map((w) => SYNONYMS[w.toLowerCase()] ?? w);
  const text = words.join(' ');
  const comma = text.indexOf(',');
  return comma > 0 ? `${text.slice(comma + 1).trim()}, ${text.slice(0, comma)}` : text;
}

export interface RepeatResult {
  positives: number;
  negatives: number;
  precision: number;
  recall: number;
  recallByKind: Record<'verbatim' | 'restated_value' | 'paraphrase', number>;
  falsePositivesByKind: Record<'agent_side' | 'new_information', number>;
}

/**
 * Repeats inserted after a cut point of each TweetSumm dialogue (the "handoff"): a customer sentence
 * verbatim, a paraphrase of it, and (SGD) a slot value the user gave restated in a new sentence.
 * Negatives: the same sentence sent by the agent, and a customer sentence of another dialogue.
 */
export function evaluateRepeats(
  tweets: readonly TweetSummDialogue[],
  sgd: readonly SgdDialogue[],
  seed = EVAL_SEED,
): RepeatResult {
  const random = seededRandom(seed);
  const counts = { tp: 0, fp: 0, positives: 0, negatives: 0 };
  const kinds = { verbatim: [0, 0], restated_value: [0, 0], paraphrase: [0, 0] } as Record<
    string,
    [number, number]
  >;
  const negatives = { agent_side: 0, new_information: 0 } as Record<string, number>;
  const probe = (
    engine: BriefEngine,
    detector: RepeatDetector,
    text: string,
    sender: 'customer' | 'agent',
    kind: string,
    positive: boolean,
  ): void => {
    const found =
      detector.detect(engine.analyse({ id: 'probe', sequence: 10_000, sender, text, sentAt: SENT_AT })) !==
      undefined;
    if (positive) {
      counts.positives += 1;
      const k = kinds[kind] ?? [0, 0];
      k[1] += 1;
      if (found) {
        counts.tp += 1;
        k[0] += 1;
      }
    } else {
      counts.negatives += 1;
      if (found) {
        counts.fp += 1;
        negatives[kind] = (negatives[kind] ?? 0) + 1;
      }
    }
  };

  const customerSentences = (d: TweetSummDialogue): string[] =>
    d.turns
      .filter((t) => t.speaker === 'customer')
      .flatMap((t) => splitSentences(t.text))
      .filter((s) => contentStems(s).length >= 4);

  tweets.forEach((d, index) => {
    const engine = new BriefEngine(taxonomy);
    for (const m of tweetSummTranscript(d)) engine.add(m);
    const detector = new RepeatDetector(engine.knowledge());
    const candidates = customerSentences(d);
    const chosen = shuffled(candidates, random)[0];
    if (chosen) {
      probe(engine, detector, chosen, 'customer', 'verbatim', true);
      probe(engine, detector, paraphrase(chosen), 'customer', 'paraphrase', true);
      probe(engine, detector, chosen, 'agent', 'agent_side', false);
    }
    const other = tweets[(index + 1 + Math.floor(random() * (tweets.length - 1))) % tweets.length];
    const fresh = other && other !== d ? shuffled(customerSentences(other), random)[0] : undefined;
    if (fresh) probe(engine, detector, fresh, 'customer', 'new_information', false);
  });

  for (const d of sgd) {
    const cut = Math.max(2, Math.floor(d.turns.length / 2));
    const engine = new BriefEngine(taxonomy);
    d.turns.slice(0, cut).forEach((t, i) =>
      engine.add({
        id: `t${i}`,
        sequence: i + 1,
        sender: t.speaker === 'USER' ? 'customer' : 'agent',
        text: t.utterance,
        sentAt: SENT_AT,
      }),
    );
    const detector = new RepeatDetector(engine.knowledge());
    const userValues = d.turns
      .slice(0, cut)
      .filter((t) => t.speaker === 'USER')
      .flatMap((t) =>
        t.frames.flatMap((f) => (f.slots ?? []).map((s) => t.utterance.slice(s.start, s.exclusive_end))),
      )
      .filter((v) => extractFacts(v).length > 0);
    const value = shuffled(userValues, random)[0];
    if (value)
      probe(engine, detector, `Just to be clear, it is ${value}.`, 'customer', 'restated_value', true);
  }

  const recallOf = (k: string): number => {
    const [hit, total] = kinds[k] ?? [0, 0];
    return total === 0 ? 0 : hit / total;
  };
  return {
    positives: counts.positives,
    negatives: counts.negatives,
    precision: counts.tp + counts.fp === 0 ? 0 : counts.tp / (counts.tp + counts.fp),
    recall: counts.positives === 0 ? 0 : counts.tp / counts.positives,
    recallByKind: {
      verbatim: recallOf('verbatim'),
      restated_value: recallOf('restated_value'),
      paraphrase: recallOf('paraphrase'),
    },
    falsePositivesByKind: {
      agent_side: negatives.agent_side ?? 0,
      new_information: negatives.new_information ?? 0,
    },
  };
}

// ---- everything ----------------------------------------------------------------------------------

export interface EvaluationResults {
  tweetsumm: TweetSummResult;
  sgd: SgdResult;
  banking77: Banking77Result;
  dstc11: ClusteringResult;
  repeats: RepeatResult;
}

export function runEvaluation(dir: string): EvaluationResults {
  const tweets = loadTweetSumm(dir);
  const sgd = loadSgd(dir);
  return {
    tweetsumm: evaluateTweetSumm(tweets),
    sgd: evaluateSgd(sgd),
    banking77: evaluateBanking77(loadBanking77Train(dir)),
    dstc11: evaluateDstc11(loadDstc11(dir)),
    repeats: evaluateRepeats(tweets, sgd),
  };
}

const pct = (x: number): string => (100 * x).toFixed(1);
const rouge = (r: Rouge): string => `${pct(r.r1)} | ${pct(r.r2)} | ${pct(r.rl)}`;

/** The results as a Markdown table. */
export function renderResults(r: EvaluationResults): string {
  const t = r.tweetsumm;
  const margin1 = 100 * (t.brief.r1 - t.floorFirstCustomer.r1);
  const margin2 = 100 * (t.brief.r1 - t.floorFirstCustomerLastAgent.r1);
  return [
    `# Summarization evaluation (seed ${EVAL_SEED})`,
    '',
    `## TweetSumm sample (${t.dialogues} dialogues) — ROUGE F1 ×100, mean over references`,
    '| system | R-1 | R-2 | R-L |',
    '|---|---|---|---|',
    `| brief paragraph | ${rouge(t.brief)} |`,
    `| floor: first customer turn | ${rouge(t.floorFirstCustomer)} |`,
    `| floor: first customer + last agent turn | ${rouge(t.floorFirstCustomerLastAgent)} |`,
    `| brief customer part vs customer sentences | ${rouge(t.customerPart.brief)} |`,
    `| floor: first customer turn vs customer sentences | ${rouge(t.customerPart.floor)} |`,
    `| brief agent part vs agent sentences | ${rouge(t.agentPart.brief)} |`,
    `| floor: last agent turn vs agent sentences | ${rouge(t.agentPart.floor)} |`,
    '',
    `R-1 margin over the floors: ${margin1.toFixed(1)} and ${margin2.toFixed(1)} points (target ≥ 3).`,
    `Evidence turns vs extractive summaries: precision ${pct(t.evidence.precision)}, recall ${pct(t.evidence.recall)}.`,
    '',
    `## SGD sample (${r.sgd.dialogues} dialogues)`,
    '| metric | value |',
    '|---|---|',
    `| entity precision (date, amount, phone, email) | ${pct(r.sgd.entities.precision)} (${r.sgd.entities.predicted} predicted) |`,
    `| entity recall (date, amount, phone, email slots) | ${pct(r.sgd.entities.recall)} (${r.sgd.entities.gold} gold) |`,
    `| recall over all slot spans (names, cities… not extracted) | ${pct(r.sgd.entities.allSlotsRecall)} |`,
    `| action recall (service calls) | ${pct(r.sgd.actions.recall)} (${r.sgd.actions.calls} calls) |`,
    `| key-argument recall | ${pct(r.sgd.actions.keyArgumentRecall)} |`,
    `| outcome accuracy (NOTIFY_SUCCESS/FAILURE) | ${pct(r.sgd.outcome.accuracy)} (${r.sgd.outcome.judged} judged) |`,
    '',
    '## Intents',
    '| benchmark | value |',
    '|---|---|',
    `| BANKING77 ${r.banking77.shots}-shot accuracy (${r.banking77.intents} intents, ${r.banking77.evaluated} held-out rows of train.csv) | ${pct(r.banking77.accuracy)} (target ≥ 70) |`,
    `| DSTC11 insurance clustering accuracy (Hungarian), k = ${r.dstc11.goldIntents} gold intents | ${pct(r.dstc11.accuracy)} |`,
    `| DSTC11 NMI | ${pct(r.dstc11.nmi)} |`,
    `| DSTC11 ARI | ${pct(r.dstc11.ari)} |`,
    '',
    `## Repeat detection (${r.repeats.positives} inserted repeats, ${r.repeats.negatives} negatives)`,
    '| metric | value |',
    '|---|---|',
    `| precision | ${pct(r.repeats.precision)} |`,
    `| recall | ${pct(r.repeats.recall)} |`,
    `| recall verbatim / restated value / paraphrase | ${pct(r.repeats.recallByKind.verbatim)} / ${pct(r.repeats.recallByKind.restated_value)} / ${pct(r.repeats.recallByKind.paraphrase)} |`,
    `| false positives: agent-side / new information | ${r.repeats.falsePositivesByKind.agent_side} / ${r.repeats.falsePositivesByKind.new_information} |`,
    '',
  ].join('\n');
}
