import { defineBenchmark, percentiles } from '@handoff/testing';
import { BriefEngine, CompiledTaxonomy } from '../src/domain/brief/brief-engine';
import type { TranscriptMessage } from '../src/domain/brief/transcript';
import { DEFAULT_TAXONOMY } from '../src/domain/intent/intent-taxonomy';
import { tokenize } from '../src/domain/text/tokenizer';

const MESSAGES = 200;
const FULL_ROUNDS = 60;
const INCREMENTAL_ROUNDS = 2000;
const WARM_UP_ROUNDS = 2000;

const CUSTOMER = [
  'Hi, my order #{n} still has not arrived and I was charged $49.99 on 2026-01-{d}.',
  'I already restarted the app twice but it still shows an error when I open the tracking page.',
  'Can you tell me when the parcel will arrive? I need it before Friday.',
  'My email is jane.doe{n}@example.com and my phone is +44 20 7946 {n}.',
  'This is really frustrating, I have been waiting for almost two weeks now.',
  'Ok, thanks. Is there anything else I should do?',
];
const AGENT = [
  'Thanks for waiting. I have checked the carrier and the parcel is held at the depot.',
  'Let me look into this for you, one moment please.',
  'Please try clearing the cache of the app and log in again.',
  'I have escalated the case to our logistics team and they will call you within 24 hours.',
  'Unfortunately I was unable to change the delivery address from here.',
];

/** A synthetic 45-minute chat: customer and agent alternate, every text different (ids, dates). */
function transcript(count: number, start = 1): TranscriptMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const sequence = start + i;
    const customer = sequence % 2 === 1;
    const pool = customer ? CUSTOMER : AGENT;
    const text = (pool[sequence % pool.length] ?? '')
      .replace(/\{n\}/g, String(1000 + sequence))
      .replace(/\{d\}/g, String((sequence % 28) + 1).padStart(2, '0'));
    return {
      id: `m${sequence}`,
      sequence,
      sender: customer ? 'customer' : 'agent',
      text,
      sentAt: new Date(
        Date.UTC(2026, 0, 10, 9, 0, Math.round((sequence * 45 * 60) / MESSAGES)),
      ).toISOString(),
      channel: 'web_chat',
    };
  });
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * The deterministic brief engine: a full brief of a 200-message chat, and the incremental update
 * (analyse + fold + render) after one more message, each against tokenising the same text.
 */
export default defineBenchmark({
  name: 'summarization-brief',
  description: `brief of a ${MESSAGES}-message chat and the incremental update after 1 message vs tokenising`,
  needs: [],
  async run(ctx) {
    const taxonomy = new CompiledTaxonomy(DEFAULT_TAXONOMY);
    const chat = transcript(MESSAGES);
    // Warm-up: JIT and regex compilation are not what the figures are about. The incremental path
    // (a brief after every message) is warmed too, on an engine and messages of its own: a service
    // renders briefs of many tickets, so that code is as hot as the tokeniser it is compared with.
    for (let i = 0; i < 5; i += 1) {
      const warm = new BriefEngine(taxonomy);
      for (const m of chat) warm.add(m);
      warm.brief();
    }
    const warmIncremental = new BriefEngine(taxonomy);
    for (const m of transcript(WARM_UP_ROUNDS, MESSAGES + 3 * INCREMENTAL_ROUNDS + 1)) {
      warmIncremental.add(m);
      warmIncremental.brief();
    }

    const full: number[] = [];
    const tokenizeAll: number[] = [];
    for (let round = 0; round < FULL_ROUNDS; round += 1) {
      let start = nowMs();
      const engine = new BriefEngine(taxonomy);
      for (const m of chat) engine.add(m);
      engine.brief();
      full.push(nowMs() - start);
      start = nowMs();
      let tokens = 0;
      for (const m of chat) tokens += tokenize(m.text).length;
      tokenizeAll.push(nowMs() - start);
      if (tokens === 0) throw new Error('nothing tokenised');
    }
    const fullP = percentiles(full);
    const tokP = percentiles(tokenizeAll);
    ctx.record({
      metric: `full brief, ${MESSAGES} messages`,
      unit: 'ms',
      value: fullP.median,
      baseline: tokP.median,
      higherIsBetter: false,
      ...fullP,
      note: `baseline: tokenising the same ${MESSAGES} messages once (median ${tokP.median.toFixed(3)} ms)`,
    });

    const engine = new BriefEngine(taxonomy);
    for (const m of chat) engine.add(m);
    const extra = transcript(INCREMENTAL_ROUNDS, MESSAGES + 1);
    const incremental: number[] = [];
    const tokenizeOne: number[] = [];
    for (const m of extra) {
      let start = nowMs();
      engine.add(m);
      engine.brief();
      incremental.push(nowMs() - start);
      start = nowMs();
      if (tokenize(m.text).length === 0) throw new Error('nothing tokenised');
      tokenizeOne.push(nowMs() - start);
    }
    // What the service does per message (briefs are rendered only when a version is recorded).
    const foldOnly: number[] = [];
    const foldBaseline: number[] = [];
    for (const m of transcript(INCREMENTAL_ROUNDS, MESSAGES + INCREMENTAL_ROUNDS + 1)) {
      let start = nowMs();
      engine.add(m);
      foldOnly.push(nowMs() - start);
      start = nowMs();
      if (tokenize(m.text).length === 0) throw new Error('nothing tokenised');
      foldBaseline.push(nowMs() - start);
    }
    const foldP = percentiles(foldOnly);
    const foldBaseP = percentiles(foldBaseline);
    ctx.record({
      metric: 'fold 1 message (no rendering)',
      unit: 'ms',
      value: foldP.median,
      baseline: foldBaseP.median,
      higherIsBetter: false,
      targetRatio: 5,
      ...foldP,
      note: 'analyse + fold only: what the consumer does per message; the brief is rendered when a version is recorded',
    });
    const incP = percentiles(incremental);
    const oneP = percentiles(tokenizeOne);
    ctx.record({
      metric: 'incremental update after 1 message',
      unit: 'ms',
      value: incP.median,
      baseline: oneP.median,
      higherIsBetter: false,
      targetRatio: 5,
      ...incP,
      note: `baseline: tokenising the new message alone (median ${oneP.median.toFixed(4)} ms); engine grew ${MESSAGES}→${MESSAGES + INCREMENTAL_ROUNDS} messages`,
    });
    ctx.log(
      `full p50 ${fullP.median.toFixed(2)} ms p99 ${fullP.p99.toFixed(2)}; incremental p50 ${incP.median.toFixed(3)} ms p99 ${incP.p99.toFixed(3)}; tokenise one ${oneP.median.toFixed(4)} ms`,
    );
    await Promise.resolve();
  },
});
