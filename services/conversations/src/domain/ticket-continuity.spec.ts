import { chooseTicket, type TicketCandidate } from './ticket-continuity';

const ticket = (
  ticketId: string,
  status: 'open' | 'closed',
  lastActivityAt = '2026-11-29T10:00:00.000Z',
): TicketCandidate => ({
  ticketId,
  status,
  lastActivityAt,
});

describe('ticket continuity', () => {
  it('follows an explicit ticket reference first, even past a known thread', () =>
    expect(
      chooseTicket({
        referenced: ticket('t-ref', 'open'),
        thread: ticket('t-thread', 'open'),
        openTickets: [ticket('t-open', 'open')],
      }),
    ).toEqual({ rule: 'ticket-reference', ticketId: 't-ref', reopen: false }));

  it('reopens a closed ticket that is referenced explicitly', () =>
    expect(chooseTicket({ referenced: ticket('t-ref', 'closed'), openTickets: [] })).toEqual({
      rule: 'ticket-reference',
      ticketId: 't-ref',
      reopen: true,
    }));

  it('joins the open ticket of a known channel thread', () =>
    expect(
      chooseTicket({
        thread: ticket('t-thread', 'open'),
        openTickets: [ticket('t-thread', 'open'), ticket('t-2', 'open')],
      }),
    ).toEqual({
      rule: 'channel-thread',
      ticketId: 't-thread',
    }));

  it("joins the customer's single open ticket (a new channel continues the same ticket)", () =>
    expect(chooseTicket({ thread: ticket('t-old', 'closed'), openTickets: [ticket('t-1', 'open')] })).toEqual(
      {
        rule: 'single-open-ticket',
        ticketId: 't-1',
      },
    ));

  it('opens a new ticket when the customer has none open', () =>
    expect(chooseTicket({ openTickets: [] })).toEqual({ rule: 'new-ticket' }));

  it('picks the most recently active of several open tickets and names the others for review', () =>
    expect(
      chooseTicket({
        openTickets: [
          ticket('t-old', 'open', '2026-11-29T08:00:00.000Z'),
          ticket('t-new', 'open', '2026-11-29T11:00:00.000Z'),
          ticket('t-mid', 'open', '2026-11-29T09:00:00.000Z'),
        ],
      }),
    ).toEqual({ rule: 'most-recent-open-ticket', ticketId: 't-new', otherTicketIds: ['t-mid', 't-old'] }));
});
