// A provider behind an OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI, vLLM,
// llama.cpp server, Ollama…). It receives only redacted text (see BriefComposer).

import type { ProviderAnswer, ProviderRequest, SummaryProvider } from './summary-provider.port';

export interface OpenAiCompatibleOptions {
  /** Base URL, e.g. `https://api.openai.com/v1` (the provider appends `/chat/completions`). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  maxTokens?: number;
}

export class ProviderFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderFailed';
  }
}

const SYSTEM_PROMPT =
  'You write handoff notes for customer-service agents. Summarise the conversation in one paragraph ' +
  '(at most 120 words): what the customer wants, what was already done and with what result, and what ' +
  'is still open. Use only facts from the conversation. Keep placeholders such as [EMAIL_1] unchanged.';

export class OpenAiCompatibleProvider implements SummaryProvider {
  readonly name: string;
  readonly version = '1';

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.name = `openai-compatible:${options.model}`.slice(0, 100);
  }

  async summarise(request: ProviderRequest, signal: AbortSignal): Promise<ProviderAnswer> {
    const transcript = request.messages.map((m) => `${m.sender}: ${m.text}`).join('\n');
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const response = await fetch(url, {
      method: 'POST',
      signal,
      headers: {
        'content-type': 'application/json',
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: this.options.model,
        temperature: 0,
        max_tokens: this.options.maxTokens ?? 300,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          {
            role: 'user',
            content: `Draft note: ${request.draft.summary}\n\nConversation (${request.draft.language}):\n${transcript.slice(0, 60_000)}`,
          },
        ],
      }),
    });
    if (!response.ok) throw new ProviderFailed(`provider answered HTTP ${response.status}`);
    const body = (await response.json()) as { choices?: { message?: { content?: unknown } }[] };
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || content.trim().length === 0)
      throw new ProviderFailed('provider answer has no content');
    return { summary: content.trim() };
  }
}
