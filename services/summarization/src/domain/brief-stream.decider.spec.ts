import { briefStreamDecider, type BriefStreamCommand, type BriefStreamEvent } from './brief-stream.decider';
import { briefOf, CompiledTaxonomy } from './brief/brief-engine';
import { DEFAULT_TAXONOMY } from './intent/intent-taxonomy';

const now = new Date('2026-01-10T10:00:00.000Z');
const content = briefOf(
  [
    {
      id: 'm1',
      sequence: 3,
      sender: 'customer',
      text: 'Where is my order 12345?',
      sentAt: '2026-01-10T09:00:00.000Z',
    },
  ],
  new CompiledTaxonomy(DEFAULT_TAXONOMY),
);
const engine = { name: 'deterministic', version: '1.0.0' };
const recordBrief = (
  overrides: Partial<Extract<BriefStreamCommand, { type: 'RecordBrief' }>> = {},
): BriefStreamCommand => ({
  type: 'RecordBrief',
  briefId: 'b1',
  trigger: 'handoff_requested',
  handoffId: 'h1',
  messagesSinceCovered: 0,
  content,
  engine,
  redacted: false,
  now,
  ...overrides,
});
const recorded = (version: number, handoffId?: string): BriefStreamEvent => ({
  type: 'BriefVersionRecorded',
  data: {
    briefId: `b${version}`,
    version,
    trigger: handoffId ? 'handoff_requested' : 'on_demand',
    ...(handoffId ? { handoffId } : {}),
    messagesSinceCovered: 0,
    content,
    engine,
    redacted: false,
    preparedAt: now.toISOString(),
  },
});

// domain/ stays free of test libraries too, so the given/when/then steps are spelled out here.
const spec = {
  given: (events: BriefStreamEvent[]) => ({
    when: (command: BriefStreamCommand) => ({
      then: (expected: BriefStreamEvent[]) =>
        expect(
          briefStreamDecider.decide(
            command,
            events.reduce(briefStreamDecider.evolve, briefStreamDecider.initialState()),
          ),
        ).toEqual(expected),
    }),
  }),
};

describe('brief stream decider', () => {
  it('records version 1 for a first handoff request', () =>
    spec
      .given([])
      .when(recordBrief())
      .then([recorded(1, 'h1')]));

  it('numbers versions after earlier ones', () =>
    spec
      .given([recorded(1)])
      .when(recordBrief({ briefId: 'b2', handoffId: 'h2' }))
      .then([recorded(2, 'h2')]));

  it('decides nothing for a redelivered handoff request', () =>
    spec
      .given([recorded(1, 'h1')])
      .when(recordBrief({ briefId: 'other' }))
      .then([]));

  it('decides nothing for an incremental brief that covers nothing new', () =>
    spec
      .given([recorded(1)])
      .when(recordBrief({ trigger: 'incremental', briefId: 'b2' }))
      .then([]));

  it('records a repeat once, referring to the handoff brief', () => {
    const command: BriefStreamCommand = {
      type: 'RecordRepeat',
      detectionId: 'd1',
      handoffId: 'h1',
      messageId: 'm9',
      finding: { repeatKind: 'verbatim', repeatedFacts: [], evidence: ['m9', 'm1'], similarity: 1 },
      now,
    };
    const event: BriefStreamEvent = {
      type: 'RepeatDetected',
      data: {
        repeatKind: 'verbatim',
        repeatedFacts: [],
        evidence: ['m9', 'm1'],
        similarity: 1,
        detectionId: 'd1',
        handoffId: 'h1',
        messageId: 'm9',
        detectedAt: now.toISOString(),
        brief: { briefId: 'b1', version: 1 },
      },
    };
    spec
      .given([recorded(1, 'h1')])
      .when(command)
      .then([event]);
    spec
      .given([recorded(1, 'h1'), event])
      .when(command)
      .then([]);
  });
});
