/**
 * `npm run demo`: plays the journey a newcomer wants to see against a running platform (`npm start`),
 * through the public REST APIs only, and prints what each service made of it:
 *
 * a customer chats with the bot on web chat → the bot fails and hands off (AI→human) → the brief is
 * ready before the agent accepts → the customer follows up on WhatsApp (same ticket) → the Tier 1
 * agent ends the shift with a handover to a colleague → Tier 1 escalates to Tier 2 with diagnostics →
 * the customer repeats the order number (detected) → the ticket is closed and CSAT arrives → the
 * timeline, the brief, the ownership history, the owner at a chosen instant, the audit verification
 * and the warning signs.
 *
 * Settings: `HANDOFF_DATA_DIR` (where npm start keeps the development keys), `HANDOFF_PORT_BASE`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type Role = 'agent' | 'supervisor' | 'auditor' | 'integration' | 'bot';
export type ServiceName = 'conversations' | 'summarization' | 'escalation' | 'ownership' | 'insights';

export interface DemoOptions {
  urls: Record<ServiceName, string>;
  keys: Record<Role, string>;
  /** Where the readable story goes; default stdout. */
  print?: (line: string) => void;
  /** How long to wait for each asynchronous step (events travelling through Kafka). */
  stepTimeoutMs?: number;
}

/** What the demo created and observed: the e2e tests assert on it. */
export interface DemoReport {
  runId: string;
  ticketId: string;
  customerId: string;
  agents: { tier1: string; colleague: string; tier2: string; supervisor: string };
  handoffs: { aiToHuman: string; tierEscalation: string };
  briefBeforeAccept: Record<string, unknown>;
  channelSwitches: number;
  ownerAtChosenInstant: Record<string, unknown>;
  chosenInstant: string;
  history: Record<string, unknown>[];
  verification: Record<string, unknown>;
  timeline: Record<string, unknown>[];
  story: Record<string, unknown>;
  warningSigns: Record<string, unknown>;
}

/** A problem+json answer of a service, kept whole for the message. */
export class ServiceCallFailed extends Error {
  constructor(
    readonly service: ServiceName,
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what}: ${service} answered ${status} ${JSON.stringify(body)}`);
  }
}

type Json = Record<string, unknown>;

class Platform {
  constructor(private readonly options: DemoOptions) {}

  async call(
    service: ServiceName,
    role: Role,
    method: 'GET' | 'POST' | 'PUT',
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.options.urls[service]}${route}`, {
      method,
      headers: {
        'x-api-key': this.options.keys[role],
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // NDJSON or CSV answers stay text.
    }
    return { status: response.status, body: parsed };
  }

  /** A call that must succeed (2xx). */
  async ok<T = Json>(
    service: ServiceName,
    role: Role,
    method: 'GET' | 'POST' | 'PUT',
    route: string,
    body?: unknown,
  ): Promise<T> {
    const answer = await this.call(service, role, method, route, body);
    if (answer.status < 200 || answer.status > 299) {
      throw new ServiceCallFailed(service, answer.status, answer.body, `${method} ${route}`);
    }
    return answer.body as T;
  }

  /** Polls `probe` until it returns a value: events travel between services through Kafka. */
  async eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + (this.options.stepTimeoutMs ?? 60_000);
    let lastError: unknown;
    for (;;) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new Error(`timed out waiting for ${what}${why}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A value as text: strings and numbers as they are, anything else as JSON. */
const str = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
      ? `${value}`
      : value === undefined || value === null
        ? ''
        : JSON.stringify(value);
const asRecord = (value: unknown): Json =>
  typeof value === 'object' && value !== null ? (value as Json) : {};
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

/** One line about a timeline item: the text of a message, the essentials of anything else. */
function describeItem(item: Json): string {
  const data = asRecord(item.data);
  const id = (value: unknown) => str(asRecord(value).id ?? asRecord(value).agentId ?? '');
  switch (item.kind) {
    case 'MessageReceived':
      return JSON.stringify(str(data.text ?? ''));
    case 'OwnershipTransferred':
      return `${id(data.from)} → ${id(data.to)}${data.handoffId ? ` (handoff ${str(data.handoffId).slice(0, 13)}…)` : ''}`;
    case 'OwnerAssigned':
      return `owner ${id(data.owner)} (${str(data.how ?? '')})`;
    case 'HandoffRequested':
      return `${str(data.handoffType)} ${id(data.from)} → ${str(asRecord(data.to).kind)} ${id(data.to)}`;
    case 'HandoffOffered':
      return `offered to ${id(data.agent)}${data.brief ? ' with the brief' : ' without a brief'}`;
    case 'ChannelSwitched':
      return `${str(data.fromChannel)} → ${str(data.toChannel)}`;
    case 'CsatRecorded':
      return `score ${str(data.score)}, owner ${id(data.owner)}`;
    // Conversations closes the ticket; ownership then ends the owner's segment (same kind, other source).
    case 'TicketClosed':
      return item.source === 'ownership'
        ? `ownership ended, final owner ${id(data.finalOwner) || 'none'}`
        : `closed as ${str(data.resolution)}`;
    case 'TicketReopened':
      return item.source === 'ownership' ? `ownership: ${str(data.routedTo)}` : 'reopened';
    default:
      return '';
  }
}

/** The headline numbers of one insights figure (the whole window, all dimensions together). */
function headline(figure: string, row: Json): string {
  const pct = (value: unknown) => (typeof value === 'number' ? `${Math.round(value * 100)}%` : 'n/a');
  const sec = (value: unknown) => (typeof value === 'number' ? `${(value / 1000).toFixed(1)} s` : 'n/a');
  const score = (segment: Json) =>
    typeof segment.avgScore === 'number'
      ? `${segment.avgScore} (${str(segment.responses)} responses)`
      : `no responses`;
  const escalated = asRecord(row.escalated);
  const notEscalated = asRecord(row.notEscalated);
  switch (figure) {
    case 'repeats':
      return `${str(row.handoffsWithRepeat)} of ${str(row.handoffs)} handoffs followed by a repeat (${pct(row.repeatRate)})`;
    case 'owner-changes':
      return `${str(row.avgOwnerChangesPerTicket)} owner changes per ticket over ${str(row.tickets)} tickets`;
    case 'resolution-after-transfer':
      return `accept → resolution ${sec(row.avgAcceptToResolutionMs)} on average; idle after a transfer ${sec(row.avgIdleAfterTransferMs)}`;
    case 'csat':
      return `escalated ${score(escalated)}, not escalated ${score(notEscalated)}`;
    case 'closure-without-outcome':
      return `${str(row.closed)} closed, ${str(row.reopenedWithinDays)} reopened soon after`;
    case 'handoff-quality':
      return `average score ${str(row.avgScore)} / 100 over ${str(row.handoffs)} handoffs`;
    default:
      return JSON.stringify(row).slice(0, 200);
  }
}

/** Plays the journey; every id carries a run id so the demo can run again on the same platform. */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const platform = new Platform(options);
  const runId = crypto.randomBytes(3).toString('hex');
  const agents = {
    tier1: `alice-${runId}`,
    colleague: `bob-${runId}`,
    tier2: `carol-${runId}`,
    supervisor: `sam-${runId}`,
  };
  const tier1Team = `tier1-${runId}`;
  const tier2Team = `tier2-${runId}`;
  const customerEmail = `jane.${runId}@example.com`;
  const customerPhone = `+1555${str(parseInt(runId, 16) % 10_000_000).padStart(7, '0')}`;
  const at = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString();
  const section = (title: string) => print(`\n== ${title}`);

  section(`Set-up (run ${runId}): agents, teams and the intent taxonomy`);
  const channels = ['web_chat', 'whatsapp', 'email'].map((channel) => ({ channel, max: 5 }));
  const register = async (
    agentId: string,
    tier: string,
    team: string,
    skills: { name: string; level: number }[],
    supervisor = false,
  ) => {
    await platform.ok('escalation', 'supervisor', 'POST', '/v1/agents', {
      agentId,
      displayName: agentId.split('-')[0],
      skills,
      languages: ['en'],
      tiers: [tier],
      teams: [team],
      capacity: channels,
      supervisor,
      presence: 'online',
    });
  };
  await register(agents.tier1, 'tier1', tier1Team, [{ name: 'orders', level: 3 }]);
  await register(agents.colleague, 'tier1', tier1Team, [{ name: 'orders', level: 2 }]);
  await register(agents.tier2, 'tier2', tier2Team, [
    { name: 'orders', level: 4 },
    { name: 'payments', level: 4 },
  ]);
  await register(agents.supervisor, 'tier2', tier2Team, [{ name: 'orders', level: 5 }], true);
  print(`  agents ${Object.values(agents).join(', ')} online (Tier 1: ${tier1Team}, Tier 2: ${tier2Team})`);
  await platform.ok('summarization', 'supervisor', 'PUT', '/v1/intent-taxonomy', {
    intents: [
      {
        name: 'order_not_delivered',
        description: 'An order has not arrived.',
        examples: [
          'my order has not arrived',
          'where is my package',
          'the parcel never came',
          'order still not delivered',
        ],
      },
      {
        name: 'refund_request',
        description: 'The customer wants money back.',
        examples: ['I want a refund', 'please give me my money back', 'refund my payment'],
      },
      {
        name: 'payment_failed',
        description: 'A payment did not go through.',
        examples: ['my card was declined', 'the payment failed', 'I was charged twice'],
      },
    ],
  });
  print('  intent taxonomy: order_not_delivered, refund_request, payment_failed');
  // Ownership learns the agents from escalation's AgentPresenceChanged events.
  await platform.eventually('ownership to know the agents', async () => {
    const answer = await platform.call('ownership', 'supervisor', 'GET', `/v1/agents/${agents.tier2}`);
    return answer.status === 200 ? true : undefined;
  });

  section('1. The customer chats with the bot on web chat');
  const thread = `web-${runId}`;
  const say = async (channel: string, sender: Json, text: string, extra: Json = {}) =>
    platform.ok<Json>(
      'conversations',
      sender.kind === 'bot' ? 'bot' : 'integration',
      'POST',
      '/v1/messages',
      {
        channel,
        channelMessageId: `${channel}-${crypto.randomUUID()}`,
        sender,
        text,
        sentAt: at(0),
        ...extra,
      },
    );
  const customerOnWeb = {
    kind: 'customer',
    identity: { kind: 'email', value: customerEmail, verified: true },
    displayName: 'Jane',
  };
  const bot = { kind: 'bot', id: 'bot' };
  const first = await say(
    'web_chat',
    customerOnWeb,
    'Hi, my order A-1042 has not arrived yet. It was due on March 3.',
    {
      channelThreadId: thread,
    },
  );
  const ticketId = str(first.ticketId);
  const customerId = str(first.customerId);
  await say('web_chat', bot, 'I am sorry to hear that. Let me check the tracking of order A-1042.', {
    channelThreadId: thread,
  });
  await say('web_chat', bot, 'I could not find tracking information for this order.', {
    channelThreadId: thread,
  });
  const lastWeb = await say(
    'web_chat',
    customerOnWeb,
    'That is not helpful. I want to talk to a person, please.',
    {
      channelThreadId: thread,
    },
  );
  print(`  ticket ${ticketId} for customer ${customerId}: 4 messages (customer and bot)`);

  section('2. The bot fails and hands off to a human (AI→human)');
  const aiHandoff = await platform.ok<Json>('escalation', 'bot', 'POST', '/v1/handoffs', {
    ticketId,
    handoffType: 'ai_to_human',
    from: { kind: 'bot', id: 'bot' },
    to: { kind: 'team', id: tier1Team },
    reasonCode: 'bot_could_not_resolve',
    note: 'Tracking lookup failed; customer asked for a person.',
    channel: 'web_chat',
    language: 'en',
    requiredSkills: [{ skill: 'orders', minLevel: 2 }],
    conversationPosition: str(lastWeb.sequence ?? 4),
  });
  const aiHandoffId = str(aiHandoff.handoffId);
  const offered = await platform.eventually('the offer of the AI→human handoff', async () => {
    const handoff = await platform.ok<Json>('escalation', 'agent', 'GET', `/v1/handoffs/${aiHandoffId}`);
    return asRecord(handoff.currentOffer).agentId ? handoff : undefined;
  });
  const offeredTo = str(asRecord(offered.currentOffer).agentId);
  const briefBeforeAccept = await platform.ok<Json>(
    'summarization',
    'agent',
    'GET',
    `/v1/tickets/${ticketId}/brief`,
  );
  print(
    `  handoff ${aiHandoffId} offered to ${offeredTo}, with the brief (version ${str(briefBeforeAccept.version)}) ready before acceptance:`,
  );
  print(`    ${str(briefBeforeAccept.summary ?? '')}`);
  await platform.ok('escalation', 'agent', 'POST', `/v1/handoffs/${aiHandoffId}/accept`, {
    agentId: offeredTo,
  });
  await platform.eventually(`${offeredTo} to own the ticket`, async () => {
    const owner = await platform.ok<Json>('ownership', 'agent', 'GET', `/v1/tickets/${ticketId}/owner`);
    return JSON.stringify(owner).includes(offeredTo) ? owner : undefined;
  });
  print(`  ${offeredTo} accepted and is the accountable owner`);
  const afterFirstTransfer = new Date().toISOString();

  section('3. The customer follows up on WhatsApp: the same ticket');
  await platform.ok('conversations', 'agent', 'POST', `/v1/customers/${customerId}/identities`, {
    identity: { kind: 'phone', value: customerPhone, channel: 'whatsapp', verified: true },
    reason: 'The customer gave this number in the web chat.',
  });
  const onWhatsapp = await say(
    'whatsapp',
    {
      kind: 'customer',
      identity: { kind: 'phone', value: customerPhone, channel: 'whatsapp', verified: true },
    },
    'I am writing here because the chat closed. Any news about my parcel?',
    { channelThreadId: customerPhone },
  );
  print(`  WhatsApp message joined ticket ${str(onWhatsapp.ticketId)} (rule: ${str(onWhatsapp.rule)})`);
  await say(
    'whatsapp',
    { kind: 'agent', id: offeredTo },
    'Thanks Jane, I am looking into it with the carrier now.',
    {
      channelThreadId: customerPhone,
    },
  );

  section(`4. ${offeredTo} ends the shift and hands the ticket over`);
  const colleague = offeredTo === agents.colleague ? agents.tier1 : agents.colleague;
  const handover = await platform.ok<Json>(
    'ownership',
    'agent',
    'POST',
    `/v1/agents/${offeredTo}/shift-handover`,
    {
      handovers: [
        {
          ticketId,
          toAgentId: colleague,
          note: {
            status: 'Order A-1042 has no tracking; carrier contacted.',
            nextSteps: ['Escalate to Tier 2 if the carrier has no record by noon.'],
            promisesMade: ['Update the customer on WhatsApp today.'],
          },
        },
      ],
    },
  );
  const handoverId = str(
    handover.handoverId ??
      asRecord(asArray(handover.handovers)[0]).handoverId ??
      asRecord(asArray(handover.items)[0]).handoverId,
  );
  await platform.ok(
    'ownership',
    'agent',
    'POST',
    `/v1/tickets/${ticketId}/handovers/${handoverId}/acknowledge`,
    {
      agentId: colleague,
    },
  );
  await platform.eventually(`${colleague} to own the ticket`, async () => {
    const owner = await platform.ok<Json>('ownership', 'agent', 'GET', `/v1/tickets/${ticketId}/owner`);
    return JSON.stringify(owner).includes(colleague) ? owner : undefined;
  });
  print(`  handed over to ${colleague} with notes; acknowledged`);

  section('5. Tier 1 escalates to Tier 2 with diagnostics');
  const tierHandoff = await platform.ok<Json>('escalation', 'agent', 'POST', '/v1/handoffs', {
    ticketId,
    handoffType: 'tier_escalation',
    from: { kind: 'agent', id: colleague },
    to: { kind: 'team', id: tier2Team },
    reasonCode: 'carrier_has_no_record',
    note: 'Carrier has no record of A-1042; needs a reshipment or refund decision.',
    priority: 'high',
    channel: 'whatsapp',
    requiredSkills: [{ skill: 'orders', minLevel: 4 }],
    diagnostics: {
      logs: ['carrier-api GET /shipments?order=A-1042 -> 404'],
      stepsTried: ['Checked tracking', 'Called the carrier'],
      environment: { warehouse: 'EU-2', carrier: 'ParcelCo' },
      attachments: [],
    },
  });
  const tierHandoffId = str(tierHandoff.handoffId);
  const tierOffer = await platform.eventually('the offer of the Tier 2 escalation', async () => {
    const handoff = await platform.ok<Json>('escalation', 'agent', 'GET', `/v1/handoffs/${tierHandoffId}`);
    return asRecord(handoff.currentOffer).agentId ? handoff : undefined;
  });
  const tier2Agent = str(asRecord(tierOffer.currentOffer).agentId);
  await platform.ok('escalation', 'agent', 'POST', `/v1/handoffs/${tierHandoffId}/accept`, {
    agentId: tier2Agent,
  });
  await platform.eventually(`${tier2Agent} to own the ticket`, async () => {
    const owner = await platform.ok<Json>('ownership', 'agent', 'GET', `/v1/tickets/${ticketId}/owner`);
    return JSON.stringify(owner).includes(tier2Agent) ? owner : undefined;
  });
  print(`  handoff ${tierHandoffId} accepted by ${tier2Agent} (Tier 2), diagnostics attached`);

  section('6. The customer repeats the order number to the new agent');
  await say(
    'email',
    { kind: 'customer', identity: { kind: 'email', value: customerEmail, verified: true } },
    'As I told the last person, my order number is A-1042 and it was due on March 3.',
    { channelThreadId: `mail-${runId}` },
  );
  await platform.eventually('the repeat to be detected and counted', async () => {
    const answer = await platform.ok<Json>(
      'insights',
      'supervisor',
      'GET',
      `/v1/tickets/${ticketId}/handoff-story`,
    );
    return JSON.stringify(answer).includes('A-1042') ||
      JSON.stringify(answer).match(/"repeat[A-Za-z]*":\s*(true|[1-9])/)
      ? answer
      : undefined;
  });
  print('  RepeatedInformationDetected: the customer restated order A-1042 after the Tier 2 handoff');

  section('7. Resolved, closed, and the customer rates the service');
  await say(
    'email',
    { kind: 'agent', id: tier2Agent },
    'We have reshipped order A-1042 with express delivery.',
    {
      channelThreadId: `mail-${runId}`,
    },
  );
  await platform.ok('conversations', 'agent', 'POST', `/v1/tickets/${ticketId}/close`, {
    resolution: 'resolved',
    note: 'Reshipped with express delivery.',
  });
  await platform.ok('conversations', 'integration', 'POST', `/v1/tickets/${ticketId}/csat`, {
    score: 4,
    comment: 'Good in the end, but I had to repeat myself.',
    channel: 'email',
  });
  print('  ticket closed (resolved); CSAT 4/5 recorded');
  // Insights folds the CSAT from the conversations topic: the figures below include this ticket.
  const finalStory = await platform.eventually('insights to attribute the CSAT', async () => {
    const answer = await platform.ok<Json>(
      'insights',
      'supervisor',
      'GET',
      `/v1/tickets/${ticketId}/handoff-story`,
    );
    return asArray(answer.handoffs).some((handoff) => handoff.csatAfter === 4) && answer.closedAt
      ? answer
      : undefined;
  });

  section('Timeline (all channels, with handoffs and owner changes)');
  const timeline = await platform.eventually('the timeline to show the owner changes', async () => {
    const page = await platform.ok<Json>(
      'conversations',
      'agent',
      'GET',
      `/v1/tickets/${ticketId}/timeline?limit=100`,
    );
    const items = asArray(page.items);
    return items.some((item) => str(item.kind).startsWith('Ownership')) &&
      items.some((item) => item.kind === 'CsatRecorded')
      ? items
      : undefined;
  });
  for (const item of timeline) {
    const when = str(item.occurredAt ?? '').slice(11, 19);
    const actor = asRecord(item.actor);
    print(
      `  ${when}  ${str(item.channel ?? '-').padEnd(9)} ${str(item.kind).padEnd(26)} ${`${str(actor.kind)}:${str(actor.id)}`.padEnd(28)} ${describeItem(item).slice(0, 90)}`,
    );
  }

  section('Brief (latest version)');
  const brief = await platform.ok<Json>('summarization', 'agent', 'GET', `/v1/tickets/${ticketId}/brief`);
  print(`  ${str(brief.summary ?? '')}`);
  print(
    `  intent: ${JSON.stringify(asRecord(brief.intent).label)}; key facts: ${asArray(brief.keyFacts)
      .map((f) => `${str(f.kind)}=${str(f.normalized ?? f.value)}`)
      .join(', ')}`,
  );

  section('Ownership history');
  const historyAnswer = await platform.ok<unknown>(
    'ownership',
    'auditor',
    'GET',
    `/v1/tickets/${ticketId}/history`,
  );
  const history = Array.isArray(historyAnswer)
    ? (historyAnswer as Json[])
    : asArray(asRecord(historyAnswer).entries ?? asRecord(historyAnswer).items);
  for (const entry of history) print(`  ${JSON.stringify(entry)}`);

  section(`Owner at ${afterFirstTransfer} (after the first transfer)`);
  const ownerAtChosenInstant = await platform.ok<Json>(
    'ownership',
    'auditor',
    'GET',
    `/v1/tickets/${ticketId}/owner?at=${encodeURIComponent(afterFirstTransfer)}`,
  );
  print(`  ${JSON.stringify(ownerAtChosenInstant)}`);

  section('Audit: hash chain verification');
  const verification = await platform.ok<Json>(
    'ownership',
    'auditor',
    'POST',
    `/v1/audit/tickets/${ticketId}/verify`,
  );
  print(`  ${JSON.stringify(verification)}`);

  section('Warning signs');
  const from = encodeURIComponent(at(-3600));
  const to = encodeURIComponent(at(3600));
  const warningSigns: Json = {};
  for (const figure of [
    'repeats',
    'owner-changes',
    'resolution-after-transfer',
    'csat',
    'closure-without-outcome',
    'handoff-quality',
  ]) {
    const answer = await platform.ok<Json>(
      'insights',
      'supervisor',
      'GET',
      `/v1/insights/${figure}?from=${from}&to=${to}`,
    );
    warningSigns[figure] = answer;
    print(`  ${figure.padEnd(26)} ${headline(figure, asRecord(asArray(answer.rows)[0]))}`);
  }
  return {
    runId,
    ticketId,
    customerId,
    agents,
    handoffs: { aiToHuman: aiHandoffId, tierEscalation: tierHandoffId },
    briefBeforeAccept,
    channelSwitches: timeline.filter((item) =>
      str(item.kind ?? item.type)
        .toLowerCase()
        .includes('channel'),
    ).length,
    ownerAtChosenInstant,
    chosenInstant: afterFirstTransfer,
    history,
    verification,
    timeline,
    story: finalStory,
    warningSigns,
  };
}

/** The URLs and keys of a platform started by `npm start` on this machine. */
export function localPlatform(env: NodeJS.ProcessEnv = process.env): Pick<DemoOptions, 'urls' | 'keys'> {
  const root = path.resolve(__dirname, '..', '..');
  const dataDir = path.resolve(env.HANDOFF_DATA_DIR ?? path.join(root, '.data'));
  const keysFile = path.join(dataDir, 'dev-api-keys.json');
  if (!fs.existsSync(keysFile)) {
    throw new Error(`no development keys in ${keysFile}: start the platform first with "npm start"`);
  }
  const saved = JSON.parse(fs.readFileSync(keysFile, 'utf8')) as { keys: Record<Role, string> };
  const base = Number(env.HANDOFF_PORT_BASE ?? 3001);
  const names: ServiceName[] = ['conversations', 'summarization', 'escalation', 'ownership', 'insights'];
  const urls = Object.fromEntries(names.map((name, i) => [name, `http://127.0.0.1:${base + i}`])) as Record<
    ServiceName,
    string
  >;
  return { urls, keys: saved.keys };
}

if (require.main === module) {
  runDemo(localPlatform())
    .then(() => process.stdout.write('\nDemo finished.\n'))
    .catch((error: unknown) => {
      process.stderr.write(`\ndemo: ${error instanceof Error ? error.message : str(error)}\n`);
      process.exit(1);
    });
}
