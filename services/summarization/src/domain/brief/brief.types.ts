import type { FactKind } from '../facts/fact-extractor';
import type { ActionOutcome } from './message-analysis';

/** Message ids an item comes from. */
export type Evidence = string[];

export interface BriefKeyFact {
  kind: FactKind;
  value: string;
  normalized?: string;
  evidence: Evidence;
}

export interface BriefAction {
  description: string;
  by: 'bot' | 'agent' | 'customer' | 'system';
  actorId?: string;
  at: string;
  outcome: ActionOutcome;
  evidence: Evidence;
}

/** The content of a handoff brief: every item cites the messages it came from. */
export interface BriefContent {
  language: string;
  intent: { label: string; confidence: number; statement: string; evidence: Evidence };
  keyFacts: BriefKeyFact[];
  actionsTaken: BriefAction[];
  objective: { statement: string; blocker: boolean; evidence: Evidence };
  openQuestions: { question: string; evidence: Evidence }[];
  sentiment: { current: 'positive' | 'neutral' | 'negative'; trend: 'improving' | 'stable' | 'worsening' };
  effort: { repeatContacts: number; channelSwitches: number; waitingSeconds: number };
  suggestedNextStep?: string;
  summary: string;
  /** Highest message sequence read (0 for an empty transcript). */
  coversPosition: number;
  coversMessageId?: string;
  messageCount: number;
  /** Things the reader should know about the input (non-English, quoted history dropped…). */
  notes: string[];
}

export const BRIEF_LIMITS = { facts: 200, actions: 200, questions: 50, evidence: 200 } as const;
