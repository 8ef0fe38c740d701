// Finishes a deterministic brief: when an external provider is configured, the transcript and the
// draft are redacted, the provider rewrites the paragraph within a time limit, and the placeholders
// are restored in-process. Any failure or timeout keeps the deterministic paragraph.

import { ENGINE } from '../domain/brief/brief-engine';
import type { BriefContent } from '../domain/brief/brief.types';
import type { TranscriptMessage } from '../domain/brief/transcript';
import { PiiRedactor } from '../domain/privacy/pii-redaction';
import { clip } from '../domain/text/tokenizer';
import type { SummaryProvider } from './summary-provider.port';

export interface FinishedBrief {
  content: BriefContent;
  engine: { name: string; version: string };
  redacted: boolean;
  /** Why the provider was not used (timeout, error), when it was configured. */
  fallbackReason?: string;
}

export class BriefComposer {
  constructor(
    private readonly provider: SummaryProvider | undefined,
    private readonly timeoutMs: number,
    private readonly onFallback: (reason: string) => void = () => undefined,
  ) {}

  get usesProvider(): boolean {
    return this.provider !== undefined;
  }

  async finish(
    content: BriefContent,
    messages: () => Promise<readonly TranscriptMessage[]>,
  ): Promise<FinishedBrief> {
    const deterministic: FinishedBrief = { content, engine: { ...ENGINE }, redacted: false };
    const provider = this.provider;
    if (!provider || content.messageCount === 0) return deterministic;
    const redactor = new PiiRedactor();
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`provider timed out after ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    try {
      const transcript = await messages();
      const request = {
        messages: transcript.map((m) => ({
          id: m.id,
          sender: m.sender,
          text: redactor.redact(m.text.slice(0, 20_000)),
        })),
        draft: {
          language: content.language,
          summary: redactor.redact(content.summary),
          intent: { ...content.intent, statement: redactor.redact(content.intent.statement) },
          objective: { ...content.objective, statement: redactor.redact(content.objective.statement) },
        },
      };
      const answer = await Promise.race([
        provider.summarise(request, controller.signal),
        new Promise<never>((_, reject) => {
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
            once: true,
          });
        }),
      ]);
      return {
        content: { ...content, summary: clip(redactor.restore(answer.summary), 5000) },
        engine: { name: provider.name, version: provider.version },
        redacted: true,
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.onFallback(reason);
      return { ...deterministic, fallbackReason: reason };
    } finally {
      clearTimeout(timer);
    }
  }
}
