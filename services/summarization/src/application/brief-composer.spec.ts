// The provider path against a real local HTTP server (an OpenAI-compatible endpoint stand-in that
// records what it received): redaction before sending, restoration after, timeout fallback.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { briefOf, CompiledTaxonomy } from '../domain/brief/brief-engine';
import { DEFAULT_TAXONOMY } from '../domain/intent/intent-taxonomy';
import type { TranscriptMessage } from '../domain/brief/transcript';
import { BriefComposer } from './brief-composer';
import { OpenAiCompatibleProvider } from './openai-compatible.provider';

const messages: TranscriptMessage[] = [
  {
    id: 'm1',
    sequence: 1,
    sender: 'customer',
    text: 'My card 4111 1111 1111 1111 was charged twice. Email me at jo@example.com or call +44 7700 900123.',
    sentAt: '2026-01-10T09:00:00.000Z',
  },
];
const draft = briefOf(messages, new CompiledTaxonomy(DEFAULT_TAXONOMY));

let server: Server;
let baseUrl: string;
let received: { body: string; auth: string | undefined }[] = [];
let delayMs = 0;
let status = 200;

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ body, auth: request.headers.authorization });
      setTimeout(() => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            choices: [
              { message: { content: 'Customer [EMAIL_1] reports a double charge on card [CARD_1].' } },
            ],
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  delayMs = 0;
  status = 200;
});

const composer = (timeoutMs: number, reasons: string[] = []) =>
  new BriefComposer(
    new OpenAiCompatibleProvider({ baseUrl, model: 'test-model', apiKey: 'sk-test' }),
    timeoutMs,
    (r) => reasons.push(r),
  );

describe('BriefComposer with an OpenAI-compatible provider', () => {
  it('sends only redacted text and restores the placeholders in the answer', async () => {
    const finished = await composer(2000).finish(draft, () => Promise.resolve(messages));
    expect(received).toHaveLength(1);
    const sent = received[0]?.body ?? '';
    for (const pii of ['jo@example.com', '4111 1111 1111 1111', '7700 900123'])
      expect(sent).not.toContain(pii);
    expect(sent).toContain('[EMAIL_1]');
    expect(received[0]?.auth).toBe('Bearer sk-test');
    expect(JSON.parse(sent)).toMatchObject({ model: 'test-model', temperature: 0 });
    expect(finished).toMatchObject({ redacted: true, engine: { name: 'openai-compatible:test-model' } });
    expect(finished.content.summary).toBe(
      'Customer jo@example.com reports a double charge on card 4111 1111 1111 1111.',
    );
    // The structured items stay the deterministic engine's.
    expect(finished.content.keyFacts).toEqual(draft.keyFacts);
  });

  it('falls back to the deterministic paragraph when the provider is slower than the timeout', async () => {
    delayMs = 1000;
    const reasons: string[] = [];
    const started = performance.now();
    const finished = await composer(150, reasons).finish(draft, () => Promise.resolve(messages));
    expect(performance.now() - started).toBeLessThan(900);
    expect(finished).toMatchObject({
      redacted: false,
      engine: { name: 'deterministic' },
      content: { summary: draft.summary },
    });
    expect(reasons[0]).toMatch(/timed out after 150 ms/);
  });

  it('falls back when the provider answers an error', async () => {
    status = 503;
    const finished = await composer(2000).finish(draft, () => Promise.resolve(messages));
    expect(finished).toMatchObject({ redacted: false, fallbackReason: 'provider answered HTTP 503' });
  });

  it('without a provider, keeps the deterministic brief and sends nothing', async () => {
    const finished = await new BriefComposer(undefined, 100).finish(draft, () => Promise.resolve(messages));
    expect(finished).toEqual({
      content: draft,
      engine: { name: 'deterministic', version: '1.0.0' },
      redacted: false,
    });
    expect(received).toHaveLength(0);
  });
});
