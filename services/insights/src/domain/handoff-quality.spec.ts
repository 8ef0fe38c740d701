import { attributeCsat, attributedMean, type OwnerSegment } from './csat-attribution';
import { handoffEdge } from './handoff-edge';
import { handoffQuality, linearCredit, ACCEPT_BAND, isMeaningfulReply } from './handoff-quality';

const MIN = 60_000;

describe('handoff edge names', () => {
  it('names an owner-to-owner handoff by the sides of the transfer', () => {
    expect(
      handoffEdge({
        handoffType: 'ai_to_human',
        transfer: { from: { kind: 'bot', id: 'bot' }, to: { kind: 'agent', id: 'a1', teamId: 'tier1' } },
      }),
    ).toBe('bot→tier1');
    expect(
      handoffEdge({
        handoffType: 'tier_escalation',
        transfer: {
          from: { kind: 'agent', id: 'a1', teamId: 'tier1' },
          to: { kind: 'agent', id: 'a2', teamId: 'tier2' },
        },
      }),
    ).toBe('tier1→tier2');
  });

  it('names a channel switch by its channels', () => {
    expect(handoffEdge({ handoffType: 'channel_switch', channels: { from: 'web_chat', to: 'email' } })).toBe(
      'web_chat→email',
    );
    expect(handoffEdge({ handoffType: 'channel_switch', requestedChannel: 'sms' })).toBe('unknown→sms');
  });

  it("falls back to escalation's parties before ownership has recorded the transfer", () => {
    expect(
      handoffEdge({ handoffType: 'ai_to_human', sender: { kind: 'bot', id: 'b' }, receiverTeam: 'tier1' }),
    ).toBe('bot→tier1');
    expect(
      handoffEdge({
        handoffType: 'agent_to_agent',
        sender: { kind: 'agent', id: 'a1' },
        senderTeam: 'tier1',
        target: { kind: 'tier', id: 'tier2' },
      }),
    ).toBe('tier1→tier2');
    expect(handoffEdge({ sender: { kind: 'agent', id: 'a1' } })).toBe('agent→agent');
    expect(handoffEdge({})).toBe('unknown→unknown');
  });
});

describe('handoff quality score', () => {
  it('gives 100 to a fast, clean handoff with a top CSAT', () => {
    const q = handoffQuality({
      timeToAcceptMs: MIN,
      timeToFirstMeaningfulReplyMs: 3 * MIN,
      repeatDetected: false,
      bounced: false,
      reopened: false,
      csatAfter: 5,
    });
    expect(q.score).toBe(100);
    expect(q.components.csat).toEqual({ weight: 15, credit: 1, points: 15 });
  });

  it('credits time linearly between the full and zero marks', () => {
    expect(linearCredit(2 * MIN, ACCEPT_BAND)).toBe(1);
    expect(linearCredit(16 * MIN, ACCEPT_BAND)).toBe(0.5);
    expect(linearCredit(30 * MIN, ACCEPT_BAND)).toBe(0);
  });

  it('shows every component and re-weights when CSAT is unknown', () => {
    // accept 16 min → 0.5 × 20 = 10; reply 32.5 min → 0.5 × 20 = 10; repeat → 0; not bounced 15;
    // reopened → 0; CSAT unknown: 35 of 85 possible points = 41.2.
    const q = handoffQuality({
      timeToAcceptMs: 16 * MIN,
      timeToFirstMeaningfulReplyMs: 32.5 * MIN,
      repeatDetected: true,
      bounced: false,
      reopened: true,
      csatAfter: null,
    });
    expect(q.components).toEqual({
      accept: { weight: 20, credit: 0.5, points: 10 },
      firstReply: { weight: 20, credit: 0.5, points: 10 },
      noRepeat: { weight: 20, credit: 0, points: 0 },
      notBounced: { weight: 15, credit: 1, points: 15 },
      notReopened: { weight: 10, credit: 0, points: 0 },
      csat: { weight: 15, credit: null, points: null },
    });
    expect(q.score).toBe(41.2);
  });

  it('gives no reply credit when the receiver never answered meaningfully', () => {
    // 20 + 0 + 20 + 0 (bounced) + 10 + CSAT 3 → 7.5 = 57.5
    const q = handoffQuality({
      timeToAcceptMs: 0,
      timeToFirstMeaningfulReplyMs: null,
      repeatDetected: false,
      bounced: true,
      reopened: false,
      csatAfter: 3,
    });
    expect(q.score).toBe(57.5);
    expect(isMeaningfulReply(3)).toBe(false);
    expect(isMeaningfulReply(4)).toBe(true);
  });
});

describe('CSAT attribution across the owner chain', () => {
  const seg = (seq: number, kind: 'bot' | 'agent', id: string, startedAt: number): OwnerSegment => ({
    seq,
    owner: { kind, id },
    startedAt,
    endedAt: null,
    replied: true,
  });

  it('shares a response equally between the bot segment and each human segment', () => {
    const rows = attributeCsat(2, 100, [
      seg(1, 'bot', 'bot', 0),
      seg(2, 'agent', 'a1', 10),
      seg(3, 'agent', 'a2', 20),
    ]);
    expect(rows.map((r) => [r.segmentLabel, r.owner.id, r.weight])).toEqual([
      ['bot', 'bot', 1 / 3],
      ['human_1', 'a1', 1 / 3],
      ['human_2', 'a2', 1 / 3],
    ]);
  });

  it('leaves out segments that started after the response', () => {
    const rows = attributeCsat(4, 15, [
      seg(1, 'bot', 'bot', 0),
      seg(2, 'agent', 'a1', 10),
      seg(3, 'agent', 'a2', 20),
    ]);
    expect(rows.map((r) => [r.segmentLabel, r.weight])).toEqual([
      ['bot', 0.5],
      ['human_1', 0.5],
    ]);
  });

  it('gives the whole response to the owner named on it when the chain is unknown', () => {
    expect(attributeCsat(5, 1, [], { kind: 'agent', id: 'a9' })).toEqual([
      { segmentSeq: 0, segmentLabel: 'human_1', owner: { kind: 'agent', id: 'a9' }, weight: 1, score: 5 },
    ]);
    expect(attributeCsat(5, 1, [])).toEqual([]);
  });

  it('averages attributed scores by weight', () => {
    expect(
      attributedMean([
        { weight: 0.5, score: 2 },
        { weight: 1, score: 5 },
      ]),
    ).toBe(4);
    expect(attributedMean([])).toBeNull();
  });
});
