import type { HandoffKind, Owner, Party, Target } from './ticket-fact';

/** The arrow between the two ends of an edge name. */
export const EDGE_ARROW = '→';

/**
 * The side of an edge an owner stands for: the bot is `bot`, an agent is their team (tier) when
 * known, else the generic `agent`. Named agents are deliberately not part of edge names: an edge is a
 * route through the organisation (`bot→tier1`, `tier1→tier2`), per-agent figures use the agent
 * dimension instead.
 */
export const ownerSide = (owner: Owner): string => (owner.kind === 'bot' ? 'bot' : (owner.teamId ?? 'agent'));

/** The side escalation's party stands for when ownership has not (yet) told us the owner. */
export const partySide = (party: Party, teamOfAgent?: string): string => {
  switch (party.kind) {
    case 'bot':
      return 'bot';
    case 'team':
      return party.id;
    case 'agent':
      return teamOfAgent ?? 'agent';
    case 'system':
      return 'system';
  }
};

/** The receiving side named by a handoff target (an agent is only a side through their team). */
export const targetSide = (target: Target): string | undefined =>
  target.kind === 'agent' ? undefined : target.id;

/** `from→to`. */
export const edgeName = (from: string, to: string): string => `${from}${EDGE_ARROW}${to}`;

/** What is known about one handoff's two ends, best source first. */
export interface EdgeEvidence {
  handoffType?: HandoffKind;
  /** The ownership transfer recording the handoff: the most precise ends. */
  transfer?: { from: Owner; to: Owner };
  /** Escalation's view: the sender party and the accepting agent's team. */
  sender?: Party;
  /** The team of the agent who sent, when the sender party is an agent who owned the ticket. */
  senderTeam?: string;
  receiverTeam?: string;
  target?: Target;
  /** For channel switches: the switch the handoff follows. */
  channels?: { from: string; to: string };
  /** The channel the handoff request named (the new channel of a switch). */
  requestedChannel?: string;
}

/**
 * The edge name of a handoff: `fromChannel→toChannel` for a channel switch (`web_chat→email`),
 * otherwise `senderSide→receiverSide` (`bot→tier1`, `tier1→tier2`). Unknown ends are `unknown`, so
 * a handoff is always counted on exactly one edge.
 */
export function handoffEdge(e: EdgeEvidence): string {
  if (e.handoffType === 'channel_switch') {
    return edgeName(e.channels?.from ?? 'unknown', e.channels?.to ?? e.requestedChannel ?? 'unknown');
  }
  const from = e.transfer
    ? ownerSide(e.transfer.from)
    : e.sender
      ? partySide(e.sender, e.senderTeam)
      : 'unknown';
  const to = e.transfer
    ? ownerSide(e.transfer.to)
    : (e.receiverTeam ?? (e.target ? targetSide(e.target) : undefined) ?? (e.sender ? 'agent' : 'unknown'));
  return edgeName(from, to);
}
