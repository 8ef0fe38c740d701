import type { BriefContent } from '../domain/brief/brief.types';
import type { TranscriptMessage } from '../domain/brief/transcript';

/** What an external provider is asked: the (redacted) transcript and the deterministic draft. */
export interface ProviderRequest {
  messages: readonly Pick<TranscriptMessage, 'id' | 'sender' | 'text'>[];
  /** The deterministic brief (redacted too): the provider rewrites its paragraph, never its facts. */
  draft: Pick<BriefContent, 'intent' | 'objective' | 'summary' | 'language'>;
}

export interface ProviderAnswer {
  summary: string;
}

/**
 * A pluggable summarisation provider (an LLM behind some API). It only writes the one-paragraph
 * rendering: the structured items stay the deterministic engine's, so every item keeps evidence.
 */
export interface SummaryProvider {
  readonly name: string;
  readonly version: string;
  summarise(request: ProviderRequest, signal: AbortSignal): Promise<ProviderAnswer>;
}

export const SUMMARY_PROVIDER = Symbol('SUMMARY_PROVIDER');
