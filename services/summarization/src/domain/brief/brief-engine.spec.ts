import { BriefEngine, CompiledTaxonomy, briefOf } from './brief-engine';
import { DEFAULT_TAXONOMY } from '../intent/intent-taxonomy';
import type { BriefContent } from './brief.types';
import type { TranscriptMessage } from './transcript';

const taxonomy = new CompiledTaxonomy(DEFAULT_TAXONOMY);
let seq = 0;
const msg = (
  sender: TranscriptMessage['sender'],
  text: string,
  minute = seq,
  extra: Partial<TranscriptMessage> = {},
): TranscriptMessage => {
  seq += 1;
  return {
    id: `m${seq}`,
    sequence: seq,
    sender,
    text,
    sentAt: new Date(Date.UTC(2026, 0, 10, 9, minute)).toISOString(),
    ...extra,
  };
};

/** Every item of a brief cites message ids that exist in the transcript. */
function expectGrounded(brief: BriefContent, messages: readonly TranscriptMessage[]): void {
  const ids = new Set(messages.map((m) => m.id));
  const evidence = [
    ...brief.intent.evidence,
    ...brief.objective.evidence,
    ...brief.keyFacts.flatMap((f) => f.evidence),
    ...brief.actionsTaken.flatMap((a) => a.evidence),
    ...brief.openQuestions.flatMap((q) => q.evidence),
  ];
  for (const id of evidence) expect(ids.has(id)).toBe(true);
  for (const fact of brief.keyFacts) expect(fact.evidence.length).toBeGreaterThan(0);
  for (const action of brief.actionsTaken) expect(action.evidence.length).toBeGreaterThan(0);
  const texts = new Map(messages.map((m) => [m.id, m.text]));
  // A fact's value is text of a message it cites (never invented).
  for (const fact of brief.keyFacts)
    expect(fact.evidence.some((id) => texts.get(id)?.includes(fact.value))).toBe(true);
}

beforeEach(() => {
  seq = 0;
});

describe('BriefEngine', () => {
  it('given a support chat, when briefed, then intent, facts, actions with outcomes, objective and evidence are there', () => {
    const messages = [
      msg(
        'customer',
        'Hi, my order #A12345 never arrived. I was charged $49.99 on 2026-01-02. Where is my package?',
      ),
      msg('bot', 'I have checked the carrier: your parcel was sent on 2026-01-03.'),
      msg(
        'customer',
        'It still has not arrived, this is really frustrating. My email is Jane.Doe@Example.com',
      ),
      msg(
        'agent',
        "I'm sorry. I have escalated this to the carrier and I will refund you if it is lost.",
        9,
        { senderId: 'agent-7' },
      ),
      msg('customer', 'Can you call me on +44 20 7946 0958?'),
    ];
    const brief = briefOf(messages, taxonomy);
    expect(brief.intent.label).toBe('order_status');
    expect(brief.intent.evidence).toEqual(['m1']);
    expect(brief.keyFacts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'amount', normalized: '49.99 USD', evidence: ['m1'] }),
        expect.objectContaining({ kind: 'date', normalized: '2026-01-02', evidence: ['m1'] }),
        expect.objectContaining({ kind: 'email', normalized: 'jane.doe@example.com', evidence: ['m3'] }),
        expect.objectContaining({ kind: 'phone', normalized: '+442079460958', evidence: ['m5'] }),
      ]),
    );
    expect(brief.keyFacts.some((f) => f.value.includes('A12345'))).toBe(true);
    const botCheck = brief.actionsTaken.find((a) => a.by === 'bot');
    // The customer's "still has not arrived" settles the bot's check as failed, with both messages as evidence.
    expect(botCheck).toMatchObject({ outcome: 'failed', evidence: ['m2', 'm3'] });
    expect(brief.actionsTaken.find((a) => a.by === 'agent')).toMatchObject({
      actorId: 'agent-7',
      outcome: 'worked',
      description: expect.stringContaining('escalated') as string,
    });
    expect(brief.openQuestions).toEqual([
      { question: 'Can you call me on +44 20 7946 0958?', evidence: ['m5'] },
    ]);
    expect(brief.sentiment.current).not.toBe('positive');
    expect(brief.coversPosition).toBe(5);
    expect(brief.coversMessageId).toBe('m5');
    expect(brief.summary).toMatch(/^The customer says/);
    expect(brief.suggestedNextStep).toBeDefined();
    expectGrounded(brief, messages);
  });

  it('given positive feedback after an agent action, then the action worked', () => {
    const messages = [
      msg('customer', 'I cannot log in to my account, it says my password is wrong.'),
      msg('agent', 'I have reset your password and sent you a new link.'),
      msg('customer', 'That worked, thanks!'),
    ];
    const brief = briefOf(messages, taxonomy);
    expect(brief.intent.label).toBe('account_access');
    expect(brief.actionsTaken).toEqual([
      expect.objectContaining({ by: 'agent', outcome: 'worked', evidence: ['m2', 'm3'] }),
    ]);
    expect(brief.sentiment.current).toBe('positive');
  });

  it('when messages arrive one by one, then the incremental brief equals the brief of the whole transcript', () => {
    const messages = [
      msg('customer', 'I was double charged 20 EUR for order number 55512 yesterday.'),
      msg('agent', 'Let me check the payment for you.'),
      msg('customer', 'As I said, it was charged twice. Please refund it.'),
      msg('agent', 'I have refunded 20 EUR to your card.'),
    ];
    const engine = new BriefEngine(taxonomy);
    for (const m of messages) expect(engine.add(m)).toBe('added');
    expect(engine.brief()).toEqual(briefOf(messages, taxonomy));
    expect(engine.add(messages[1] as TranscriptMessage)).toBe('duplicate');
    expect(engine.add({ ...(messages[1] as TranscriptMessage), id: 'late' })).toBe('out_of_order');
  });

  it('counts channel switches, waiting time and repeat contacts', () => {
    const messages = [
      msg('customer', 'My router is broken and shows an error light.', 0, { channel: 'web_chat' }),
      msg('bot', 'Please restart the router and wait two minutes.', 5, { channel: 'web_chat' }),
      msg('customer', 'This is the third time I contact you about this router.', 30, { channel: 'whatsapp' }),
      msg('agent', 'I will send a technician.', 40, { channel: 'whatsapp' }),
    ];
    const brief = briefOf(messages, taxonomy);
    expect(brief.effort).toEqual({ repeatContacts: 1, channelSwitches: 1, waitingSeconds: 15 * 60 });
  });
});

describe('BriefEngine on bad input', () => {
  it('given an empty transcript, then a valid brief that says so and cites nothing', () => {
    const brief = briefOf([], taxonomy);
    expect(brief).toMatchObject({
      coversPosition: 0,
      messageCount: 0,
      keyFacts: [],
      actionsTaken: [],
      openQuestions: [],
    });
    expect(brief.intent).toMatchObject({ label: 'unknown', confidence: 0, evidence: [] });
    expect(brief.summary).toMatch(/Empty transcript/);
  });

  it('given only bot messages, then no intent is invented', () => {
    const messages = [msg('bot', 'Hello! How can I help you today?'), msg('bot', 'Are you still there?')];
    const brief = briefOf(messages, taxonomy);
    expect(brief.intent).toMatchObject({ label: 'unknown', evidence: [] });
    expect(brief.notes).toContain('No customer message yet: only bot or agent messages.');
    expect(brief.summary).toMatch(/No customer message yet/);
    expectGrounded(brief, messages);
  });

  it('given a non-English conversation, then the brief says so and keeps the raw facts', () => {
    const messages = [
      msg(
        'customer',
        'Hola, mi pedido 88812 no ha llegado y estoy esperando desde el 2026-01-02. Mi correo es ana@correo.es',
      ),
      msg('agent', 'Lo reviso ahora mismo.'),
    ];
    const brief = briefOf(messages, taxonomy);
    expect(brief.language).toBe('es');
    expect(brief.notes.join(' ')).toMatch(/not in English \(es\)/);
    expect(brief.summary).toMatch(/not in English/);
    expect(brief.keyFacts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'email', value: 'ana@correo.es' }),
        expect.objectContaining({ kind: 'date', normalized: '2026-01-02' }),
      ]),
    );
    expectGrounded(brief, messages);
  });

  it('given a 50,000-character message, then the brief is bounded and fast', () => {
    const long =
      `My account number 7788990 is locked. ${'The app keeps crashing when I open it. '.repeat(1300)}`.slice(
        0,
        50_000,
      );
    const messages = [msg('customer', long)];
    const started = performance.now();
    const brief = briefOf(messages, taxonomy);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(brief.intent.statement.length).toBeLessThanOrEqual(1000);
    expect(brief.summary.length).toBeLessThanOrEqual(5000);
    expect(brief.keyFacts).toEqual([expect.objectContaining({ kind: 'account_number', value: '7788990' })]);
    expectGrounded(brief, messages);
  });

  it('given emoji and mixed scripts, then no crash and the facts are still found', () => {
    const messages = [msg('customer', '😡😡 注文 order 4455667 не пришло!!! refund €15,50 please 🙏')];
    const brief = briefOf(messages, taxonomy);
    expect(brief.keyFacts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'order_number', normalized: '4455667' }),
        expect.objectContaining({ kind: 'amount', normalized: '15.50 EUR' }),
      ]),
    );
    expect(brief.sentiment.current).toBe('negative');
    expectGrounded(brief, messages);
  });

  it('given an HTML email with a quoted reply chain, then quoted history adds no facts', () => {
    const html =
      '<html><body><p>Hello,</p><p>My new order number is <b>ORD-9921</b>. Please cancel it.</p>' +
      '<div class="gmail_quote">On Mon, Jan 5, 2026 at 10:00 Support wrote:<blockquote>Your old order 1111111 and card ' +
      'ending 4242 for $999.00</blockquote></div></body></html>';
    const plain =
      'I still need help with ticket 7070.\n\nOn Tue, Jan 6, 2026, Support <help@shop.example> wrote:\n> Your refund of $500.00 for order 3333333 is done\n> Call +1 555 010 9999';
    const messages = [
      msg('customer', html, 0, { channel: 'email' }),
      msg('customer', plain, 1, { channel: 'email' }),
    ];
    const brief = briefOf(messages, taxonomy);
    const values = brief.keyFacts.map((f) => f.normalized ?? f.value);
    expect(values).toEqual(expect.arrayContaining(['ORD-9921', '7070']));
    for (const quoted of [
      '1111111',
      '999.00 USD',
      '500.00 USD',
      '3333333',
      '+15550109999',
      'help@shop.example',
    ])
      expect(values).not.toContain(quoted);
    expect(brief.notes.join(' ')).toMatch(/Quoted reply history was ignored in 2 message/);
    expect(brief.intent.statement).not.toMatch(/<|&gt;/);
  });
});
