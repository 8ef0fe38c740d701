import { fromKafkaMessage, toKafkaMessage, validatePublicEvent } from '@handoff/contracts';
import { recorded, scenario } from '../test/ownership-scenario';
import { toPublicEvents } from './public-event.mapper';

describe('internal → public ownership events', () => {
  const events = scenario();

  it('the scenario produces every internal event type', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        'OwnershipOpened',
        'OwnerAssigned',
        'OwnershipTransferred',
        'OwnershipReleased',
        'OwnershipLapsed',
        'ShiftHandoverRequested',
        'ShiftHandoverAcknowledged',
        'ShiftHandoverEscalated',
        'TicketClosed',
        'TicketReopened',
        'OwnershipLoopDetected',
      ]),
    );
  });

  it('maps each to a public event that satisfies its contract and survives the Kafka binding', () => {
    events.forEach((event, revision) => {
      const published = toPublicEvents(recorded(event, revision));
      if (event.type === 'OwnershipOpened') {
        expect(published).toEqual([]);
        return;
      }
      expect(published).toHaveLength(1);
      const [envelope] = published;
      if (!envelope) throw new Error('no envelope');
      expect(envelope.type).toBe(`dev.handoff.ownership.${event.type}.v1`);
      expect(validatePublicEvent(envelope.type, envelope.data)).toEqual({ ok: true, data: envelope.data });
      expect(envelope).toMatchObject({
        id: recorded(event, revision).eventId,
        subject: 'ticket-1',
        time: event.data.at,
      });
      const message = toKafkaMessage(envelope);
      expect(fromKafkaMessage({ key: message.key, value: message.value, headers: message.headers })).toEqual(
        envelope,
      );
    });
  });

  it('keeps the handoff id and brief on a transfer from an accepted handoff', () => {
    const transfer = events.find((e) => e.type === 'OwnershipTransferred');
    if (!transfer) throw new Error('no transfer');
    expect(toPublicEvents(recorded(transfer, 1))[0]?.data).toMatchObject({
      handoffId: 'hof-1',
      brief: { briefId: 'brief-1', version: 2 },
    });
  });
});
