import { BriefEngine, CompiledTaxonomy } from '../brief/brief-engine';
import { DEFAULT_TAXONOMY } from '../intent/intent-taxonomy';
import type { TranscriptMessage } from '../brief/transcript';
import { RepeatDetector } from './repeat-detector';

const taxonomy = new CompiledTaxonomy(DEFAULT_TAXONOMY);
const at = '2026-01-10T09:00:00.000Z';
const before: TranscriptMessage[] = [
  {
    id: 'c1',
    sequence: 1,
    sender: 'customer',
    text: 'My order 99812 arrived damaged and the screen is cracked.',
    sentAt: at,
  },
  {
    id: 'c2',
    sequence: 2,
    sender: 'customer',
    text: 'You can reach me at +1 415 555 0100 or sam@example.com.',
    sentAt: at,
  },
  { id: 'b3', sequence: 3, sender: 'bot', text: 'I am connecting you with an agent.', sentAt: at },
];

function detectorAndEngine() {
  const engine = new BriefEngine(taxonomy);
  for (const m of before) engine.add(m);
  return { engine, detector: new RepeatDetector(engine.knowledge()) };
}

const after = (text: string, sender: TranscriptMessage['sender'] = 'customer'): TranscriptMessage => ({
  id: 'n1',
  sequence: 10,
  sender,
  text,
  sentAt: at,
});

describe('RepeatDetector', () => {
  it.each([
    ['verbatim', 'My order 99812 arrived damaged and the screen is cracked.', 'verbatim'],
    ['a restated value in another format', 'my number is 415-555-0100', 'restated_value'],
    ['a paraphrase', 'the screen arrived cracked and damaged', 'paraphrase'],
    ['an explicit cue', 'As I told the last person, nothing has changed.', 'explicit_cue'],
  ])('given %s after the handoff, then it is a repeat', (_name, text, kind) => {
    const { engine, detector } = detectorAndEngine();
    const finding = detector.detect(engine.analyse(after(text)));
    expect(finding?.repeatKind).toBe(kind);
    expect(finding?.evidence[0]).toBe('n1');
  });

  it('given a restated value, then the repeated fact cites where it was first seen', () => {
    const { engine, detector } = detectorAndEngine();
    const finding = detector.detect(engine.analyse(after('Order 99812, again.')));
    expect(finding?.repeatedFacts).toEqual([{ kind: 'order_number', value: '99812', firstSeenIn: ['c1'] }]);
    expect(finding?.evidence).toEqual(['n1', 'c1']);
  });

  it.each([
    ['new information', 'I also want to change the delivery address to 5 Main Street.', 'customer'],
    ['a short acknowledgement', 'ok thanks', 'customer'],
    ['the agent restating the facts', 'Your order 99812 arrived damaged and the screen is cracked.', 'agent'],
  ] as const)('given %s, then no repeat', (_name, text, sender) => {
    const { engine, detector } = detectorAndEngine();
    expect(detector.detect(engine.analyse(after(text, sender)))).toBeUndefined();
  });
});
