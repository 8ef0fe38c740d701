// The incremental engine keeps state between messages (running aggregates, the action log, the
// paragraph parts of the last render, the settled language): on a real transcript, the brief after
// every appended message must equal the brief built from scratch over the same messages.
import { hasDataset, loadSgd, loadTweetSumm, sharedDataDir } from '../../evaluation/datasets';
import { DEFAULT_TAXONOMY } from '../intent/intent-taxonomy';
import { BriefEngine, CompiledTaxonomy, briefOf } from './brief-engine';
import { renderSummary } from './brief-rendering';
import type { TranscriptMessage } from './transcript';

const dir = sharedDataDir();
const present = hasDataset(dir, 'tweetsumm-sample') && hasDataset(dir, 'sgd-sample');
if (!present)
  console.warn(`incremental brief check skipped: no shared data at ${dir} (set HANDOFF_DATA_DIR_SHARED)`);
const withData = present ? describe : describe.skip;

const taxonomy = new CompiledTaxonomy(DEFAULT_TAXONOMY);
const START = Date.UTC(2026, 0, 10, 9, 0, 0);

/**
 * One long ticket made of real dialogues one after the other: TweetSumm customer-care threads, then
 * SGD task dialogues. Every fifth dialogue starts after a night (a repeat contact), every seventh
 * message comes by e-mail (channel switches), and enough messages to pass the 200-action window.
 */
function longTranscript(size: number): TranscriptMessage[] {
  const dialogues: { sender: 'customer' | 'agent'; text: string }[][] = [
    ...loadTweetSumm(dir).map((d) =>
      d.turns.map((t) => ({
        sender: t.speaker === 'customer' ? ('customer' as const) : ('agent' as const),
        text: t.text,
      })),
    ),
    ...loadSgd(dir).map((d) =>
      d.turns.map((t) => ({
        sender: t.speaker === 'USER' ? ('customer' as const) : ('agent' as const),
        text: t.utterance,
      })),
    ),
  ];
  const out: TranscriptMessage[] = [];
  let at = START;
  dialogues.forEach((turns, d) => {
    if (d % 5 === 4) at += 9 * 3600_000;
    for (const turn of turns) {
      if (out.length >= size) return;
      at += 45_000;
      out.push({
        id: `m${out.length + 1}`,
        sequence: out.length + 1,
        sender: turn.sender,
        text: turn.text,
        sentAt: new Date(at).toISOString(),
        channel: out.length % 7 === 6 ? 'email' : 'web_chat',
      });
    }
  });
  return out;
}

withData('BriefEngine, incremental against from scratch (shared samples)', () => {
  it('gives, after every appended message, the brief built from scratch over the same messages', () => {
    const messages = longTranscript(700);
    expect(messages).toHaveLength(700);
    const engine = new BriefEngine(taxonomy);
    let lastSummary = '';
    let summaryChanges = 0;
    let compared = 0;
    messages.forEach((message, i) => {
      expect(engine.add(message)).toBe('added');
      // A brief after every message, as the service may ask for one at any point.
      const incremental = engine.brief();
      // The paragraph of the long-lived renderer equals a stateless render of the same brief.
      const { summary, ...structured } = incremental;
      expect(summary).toBe(renderSummary(structured, incremental.messageCount));
      if (summary !== lastSummary) summaryChanges += 1;
      lastSummary = summary;
      // Every prefix early on, then every seventh and the last (a rebuild costs the whole prefix).
      if (i < 150 || i % 7 === 0 || i === messages.length - 1) {
        expect(incremental).toEqual(briefOf(messages.slice(0, i + 1), taxonomy));
        compared += 1;
      }
    });
    expect(compared).toBeGreaterThan(200);
    // The check covered a brief that kept changing and the bounded parts of the state.
    const final = engine.brief();
    expect(summaryChanges).toBeGreaterThan(100);
    expect(final.actionsTaken).toHaveLength(200);
    expect(final.effort.repeatContacts).toBeGreaterThan(0);
    expect(final.effort.channelSwitches).toBeGreaterThan(0);
  });
});
