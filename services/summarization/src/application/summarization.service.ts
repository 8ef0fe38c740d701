// The use cases of the summarization context: keep each ticket's transcript and incremental engine,
// record brief versions (on handoff requests, on demand, incrementally), and detect repeats after
// an accepted handoff. Kafka handlers call the `on*` methods inside the consumer's transaction.

import type { EventStore, EventMetadata, RecordedEvent } from '@handoff/event-store';
import { handleCommand, StreamNotFound } from '@handoff/event-store';
import type {
  HandoffAcceptedV1,
  HandoffRequestedV1,
  MessageReceivedV1,
  PublicEventEnvelope,
} from '@handoff/contracts';
import {
  briefStreamDecider,
  briefStreamName,
  type BriefStreamCommand,
  type BriefStreamEvent,
  type BriefTrigger,
  type BriefVersionRecordedData,
} from '../domain/brief-stream.decider';
import { BriefEngine, CompiledTaxonomy, type PriorKnowledge } from '../domain/brief/brief-engine';
import type { BriefContent } from '../domain/brief/brief.types';
import type { SenderKind, TranscriptMessage } from '../domain/brief/transcript';
import { DEFAULT_TAXONOMY, type IntentTaxonomy } from '../domain/intent/intent-taxonomy';
import { RepeatDetector } from '../domain/repeat/repeat-detector';
import type { BriefComposer } from './brief-composer';

/** A `pg` pool or a client inside a transaction. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface SummarizationSettings {
  /** Record an `incremental` brief version once this many messages arrived since the last version (0 = never). */
  incrementalEvery: number;
  /** Tickets whose engine stays in memory. */
  engineCacheSize: number;
}

interface CachedEngine {
  engine: BriefEngine;
  taxonomyRevision: number;
  /** coversPosition of the last recorded version (−1 until read from the stream). */
  lastRecordedPosition: number;
}

interface TranscriptRow extends Record<string, unknown> {
  message_id: string;
  sequence: number;
  sender_kind: string;
  sender_id: string;
  channel: string;
  text: string;
  sent_at: Date;
  language: string | null;
}

const toMessage = (row: TranscriptRow): TranscriptMessage => ({
  id: row.message_id,
  sequence: Number(row.sequence),
  sender: row.sender_kind as SenderKind,
  senderId: row.sender_id,
  text: row.text,
  sentAt: new Date(row.sent_at).toISOString(),
  channel: row.channel,
  ...(row.language ? { language: row.language } : {}),
});

const SELECT_TRANSCRIPT = `SELECT message_id, sequence, sender_kind, sender_id, channel, text, sent_at, language
  FROM transcript_messages WHERE tenant_id = $1 AND ticket_id = $2 AND sequence > $3 ORDER BY sequence, message_id`;

/** A stored brief version with its envelope metadata. */
export interface StoredBrief {
  data: BriefVersionRecordedData;
  tenantId: string;
  ticketId: string;
}

export class SummarizationService {
  private readonly engines = new Map<string, CachedEngine>();
  private readonly taxonomies = new Map<string, { revision: number; compiled: CompiledTaxonomy }>();
  private readonly defaultTaxonomy = new CompiledTaxonomy(DEFAULT_TAXONOMY);

  constructor(
    private readonly store: EventStore,
    private readonly pool: Queryable,
    private readonly composer: BriefComposer,
    private readonly settings: SummarizationSettings,
    private readonly clock: () => Date,
    private readonly newId: () => string,
  ) {}

  // ---- taxonomy -------------------------------------------------------------------------------

  async taxonomyOf(
    tenantId: string,
    db: Queryable = this.pool,
  ): Promise<{ revision: number; compiled: CompiledTaxonomy }> {
    const { rows } = await db.query<{ document: IntentTaxonomy; revision: number }>(
      'SELECT document, revision FROM intent_taxonomies WHERE tenant_id = $1',
      [tenantId],
    );
    const row = rows[0];
    if (!row) return { revision: 0, compiled: this.defaultTaxonomy };
    const cached = this.taxonomies.get(tenantId);
    if (cached && cached.revision === row.revision) return cached;
    const compiled = { revision: row.revision, compiled: new CompiledTaxonomy(row.document) };
    this.taxonomies.set(tenantId, compiled);
    return compiled;
  }

  async putTaxonomy(
    tenantId: string,
    taxonomy: IntentTaxonomy,
  ): Promise<{ revision: number; updatedAt: string }> {
    const now = this.clock();
    const { rows } = await this.pool.query<{ revision: number }>(
      `INSERT INTO intent_taxonomies (tenant_id, document, revision, updated_at) VALUES ($1, $2, 1, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET document = EXCLUDED.document,
         revision = intent_taxonomies.revision + 1, updated_at = EXCLUDED.updated_at
       RETURNING revision`,
      [tenantId, JSON.stringify(taxonomy), now],
    );
    return { revision: rows[0]?.revision ?? 1, updatedAt: now.toISOString() };
  }

  async getTaxonomy(
    tenantId: string,
  ): Promise<{ taxonomy: IntentTaxonomy; revision: number; isDefault: boolean }> {
    const { rows } = await this.pool.query<{ document: IntentTaxonomy; revision: number }>(
      'SELECT document, revision FROM intent_taxonomies WHERE tenant_id = $1',
      [tenantId],
    );
    const row = rows[0];
    return row
      ? { taxonomy: row.document, revision: row.revision, isDefault: false }
      : { taxonomy: DEFAULT_TAXONOMY, revision: 0, isDefault: true };
  }

  // ---- engines --------------------------------------------------------------------------------

  /**
   * The ticket's engine, caught up with the transcript: a cached engine reads only the rows after
   * its position; a cold one (or one whose taxonomy changed) folds the whole transcript once.
   */
  private async engineFor(tenantId: string, ticketId: string, db: Queryable): Promise<CachedEngine> {
    const key = `${tenantId}/${ticketId}`;
    const taxonomy = await this.taxonomyOf(tenantId, db);
    let cached = this.engines.get(key);
    if (!cached || cached.taxonomyRevision !== taxonomy.revision) {
      cached = {
        engine: new BriefEngine(taxonomy.compiled),
        taxonomyRevision: taxonomy.revision,
        lastRecordedPosition: -1,
      };
    }
    const { rows } = await db.query<TranscriptRow>(SELECT_TRANSCRIPT, [
      tenantId,
      ticketId,
      cached.engine.position,
    ]);
    for (const row of rows) {
      if (cached.engine.add(toMessage(row)) === 'out_of_order') {
        // A message older than the engine's position arrived late: rebuild from the ordered transcript.
        this.engines.delete(key);
        return this.rebuild(tenantId, ticketId, taxonomy, db);
      }
    }
    this.remember(key, cached);
    return cached;
  }

  private async rebuild(
    tenantId: string,
    ticketId: string,
    taxonomy: { revision: number; compiled: CompiledTaxonomy },
    db: Queryable,
  ): Promise<CachedEngine> {
    const engine = new BriefEngine(taxonomy.compiled);
    const { rows } = await db.query<TranscriptRow>(SELECT_TRANSCRIPT, [tenantId, ticketId, 0]);
    for (const row of rows) engine.add(toMessage(row));
    const cached = { engine, taxonomyRevision: taxonomy.revision, lastRecordedPosition: -1 };
    this.remember(`${tenantId}/${ticketId}`, cached);
    return cached;
  }

  private remember(key: string, cached: CachedEngine): void {
    this.engines.delete(key);
    this.engines.set(key, cached);
    while (this.engines.size > this.settings.engineCacheSize) {
      const oldest = this.engines.keys().next().value;
      if (oldest === undefined) break;
      this.engines.delete(oldest);
    }
  }

  /** Drops a ticket's cached engine (after a failed transaction the cache may be ahead of the database). */
  forget(tenantId: string, ticketId: string): void {
    this.engines.delete(`${tenantId}/${ticketId}`);
  }

  // ---- recording ------------------------------------------------------------------------------

  private async record(
    tenantId: string,
    ticketId: string,
    command: BriefStreamCommand,
    cause: { correlationId: string; causationId?: string },
  ): Promise<BriefStreamEvent[]> {
    const metadata: EventMetadata = {
      tenantId,
      ticketId,
      correlationId: cause.correlationId,
      ...(cause.causationId !== undefined ? { causationId: cause.causationId } : {}),
      actor: { kind: 'system', id: 'summarization' },
      occurredAt: this.clock().toISOString(),
    };
    const { events } = await handleCommand(
      this.store,
      briefStreamName(ticketId),
      briefStreamDecider,
      command,
      { metadata },
    );
    return events;
  }

  private async recordBrief(
    tenantId: string,
    ticketId: string,
    cached: CachedEngine,
    trigger: BriefTrigger,
    cause: { correlationId: string; causationId?: string },
    db: Queryable,
    handoffId?: string,
  ): Promise<BriefVersionRecordedData | undefined> {
    const content = cached.engine.brief();
    // Incremental versions stay deterministic (cheap, frequent); handoff and on-demand briefs may
    // use the configured provider.
    const finished =
      trigger === 'incremental'
        ? { content, engine: { name: 'deterministic', version: '1.0.0' }, redacted: false }
        : await this.composer.finish(content, async () =>
            (await db.query<TranscriptRow>(SELECT_TRANSCRIPT, [tenantId, ticketId, 0])).rows.map(toMessage),
          );
    const events = await this.record(
      tenantId,
      ticketId,
      {
        type: 'RecordBrief',
        briefId: this.newId(),
        trigger,
        ...(handoffId !== undefined ? { handoffId } : {}),
        messagesSinceCovered: 0,
        content: finished.content,
        engine: finished.engine,
        redacted: finished.redacted,
        now: this.clock(),
      },
      cause,
    );
    cached.lastRecordedPosition = content.coversPosition;
    const recorded = events.find((e) => e.type === 'BriefVersionRecorded');
    return recorded?.type === 'BriefVersionRecorded' ? recorded.data : undefined;
  }

  private async lastRecordedPosition(ticketId: string, tenantId: string): Promise<number> {
    const latest = await this.latestBrief(tenantId, ticketId);
    return latest?.data.content.coversPosition ?? 0;
  }

  // ---- Kafka handlers -------------------------------------------------------------------------

  async onMessageReceived(event: PublicEventEnvelope, data: MessageReceivedV1, tx: Queryable): Promise<void> {
    const { tenantId, ticketId } = data;
    const inserted = await tx.query(
      `INSERT INTO transcript_messages (tenant_id, ticket_id, message_id, sequence, sender_kind, sender_id, channel, text, sent_at, language)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      [
        tenantId,
        ticketId,
        data.messageId,
        data.sequence,
        data.sender.kind,
        data.sender.id,
        data.channel,
        data.text,
        data.sentAt,
        data.language ?? null,
      ],
    );
    if ((inserted.rowCount ?? 0) === 0) return;
    const cause = { correlationId: event.correlationId ?? event.id, causationId: event.id };
    try {
      const cached = await this.engineFor(tenantId, ticketId, tx);
      const position = cached.engine.position;

      // Handoff requests that waited for the transcript to reach their position.
      const { rows: waiting } = await tx.query<{ handoff_id: string }>(
        `SELECT handoff_id FROM handoff_watches WHERE tenant_id = $1 AND ticket_id = $2
           AND status = 'awaiting_transcript' AND requested_position <= $3 ORDER BY handoff_id`,
        [tenantId, ticketId, position],
      );
      for (const watch of waiting)
        await this.briefHandoff(tenantId, ticketId, watch.handoff_id, cached, cause, tx);

      if (this.settings.incrementalEvery > 0) {
        if (cached.lastRecordedPosition < 0)
          cached.lastRecordedPosition = await this.lastRecordedPosition(ticketId, tenantId);
        if (position - cached.lastRecordedPosition >= this.settings.incrementalEvery)
          await this.recordBrief(tenantId, ticketId, cached, 'incremental', cause, tx);
      }

      if (data.sender.kind === 'customer')
        await this.detectRepeats(tenantId, ticketId, data.sequence, cause, tx, cached);
    } catch (error) {
      this.forget(tenantId, ticketId);
      throw error;
    }
  }

  async onHandoffRequested(
    event: PublicEventEnvelope,
    data: HandoffRequestedV1,
    tx: Queryable,
  ): Promise<void> {
    const { tenantId, ticketId, handoffId } = data;
    const requested = data.conversationPosition === undefined ? 0 : Number(data.conversationPosition);
    await tx.query(
      `INSERT INTO handoff_watches (tenant_id, handoff_id, ticket_id, requested_position, status)
       VALUES ($1, $2, $3, $4, 'awaiting_transcript') ON CONFLICT DO NOTHING`,
      [tenantId, handoffId, ticketId, requested],
    );
    const cause = { correlationId: event.correlationId ?? event.id, causationId: event.id };
    try {
      const cached = await this.engineFor(tenantId, ticketId, tx);
      // The transcript may lag the request (another topic): then the brief waits for the messages.
      if (cached.engine.position >= requested)
        await this.briefHandoff(tenantId, ticketId, handoffId, cached, cause, tx);
    } catch (error) {
      this.forget(tenantId, ticketId);
      throw error;
    }
  }

  private async briefHandoff(
    tenantId: string,
    ticketId: string,
    handoffId: string,
    cached: CachedEngine,
    cause: { correlationId: string; causationId?: string },
    tx: Queryable,
  ): Promise<void> {
    await this.recordBrief(tenantId, ticketId, cached, 'handoff_requested', cause, tx, handoffId);
    await tx.query(
      `UPDATE handoff_watches SET status = CASE WHEN accepted THEN 'accepted' ELSE 'briefed' END,
         covers_position = $3, knowledge = $4 WHERE tenant_id = $1 AND handoff_id = $2`,
      [tenantId, handoffId, cached.engine.position, JSON.stringify(cached.engine.knowledge())],
    );
  }

  async onHandoffAccepted(event: PublicEventEnvelope, data: HandoffAcceptedV1, tx: Queryable): Promise<void> {
    const { tenantId, ticketId, handoffId } = data;
    const cause = { correlationId: event.correlationId ?? event.id, causationId: event.id };
    try {
      const { rowCount } = await tx.query(
        `UPDATE handoff_watches SET accepted = true,
           status = CASE WHEN status = 'awaiting_transcript' THEN status ELSE 'accepted' END
         WHERE tenant_id = $1 AND handoff_id = $2`,
        [tenantId, handoffId],
      );
      if ((rowCount ?? 0) === 0) {
        // The request was never seen (or predates this service): what is known now is the baseline.
        const cached = await this.engineFor(tenantId, ticketId, tx);
        await tx.query(
          `INSERT INTO handoff_watches (tenant_id, handoff_id, ticket_id, requested_position, status, covers_position, knowledge, accepted)
           VALUES ($1, $2, $3, $4, 'accepted', $4, $5, true) ON CONFLICT DO NOTHING`,
          [tenantId, handoffId, ticketId, cached.engine.position, JSON.stringify(cached.engine.knowledge())],
        );
      }
      // Customer messages consumed before the acceptance (topics are not ordered with each other).
      await this.detectRepeats(tenantId, ticketId, undefined, cause, tx, undefined, handoffId);
    } catch (error) {
      this.forget(tenantId, ticketId);
      throw error;
    }
  }

  /**
   * Checks customer messages after each accepted handoff's brief against the knowledge before it:
   * one message (`sequence`) when a message arrives, or all later ones when a handoff is accepted.
   */
  private async detectRepeats(
    tenantId: string,
    ticketId: string,
    sequence: number | undefined,
    cause: { correlationId: string; causationId?: string },
    tx: Queryable,
    cached?: CachedEngine,
    onlyHandoff?: string,
  ): Promise<void> {
    const { rows: watches } = await tx.query<{
      handoff_id: string;
      covers_position: number;
      knowledge: PriorKnowledge;
    }>(
      `SELECT handoff_id, covers_position, knowledge FROM handoff_watches
        WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'accepted' AND knowledge IS NOT NULL
          AND ($3::text IS NULL OR handoff_id = $3) ORDER BY handoff_id`,
      [tenantId, ticketId, onlyHandoff ?? null],
    );
    if (watches.length === 0) return;
    const engine = cached ?? (await this.engineFor(tenantId, ticketId, tx));
    for (const watch of watches) {
      const from = Number(watch.covers_position);
      const { rows } = await tx.query<TranscriptRow>(
        `SELECT message_id, sequence, sender_kind, sender_id, channel, text, sent_at, language FROM transcript_messages
          WHERE tenant_id = $1 AND ticket_id = $2 AND sender_kind = 'customer' AND sequence > $3
            AND ($4::integer IS NULL OR sequence = $4) ORDER BY sequence`,
        [tenantId, ticketId, from, sequence ?? null],
      );
      if (rows.length === 0) continue;
      const detector = new RepeatDetector(watch.knowledge);
      for (const row of rows) {
        const analysis = engine.engine.analyse(toMessage(row));
        const finding = detector.detect(analysis);
        if (!finding) continue;
        await this.record(
          tenantId,
          ticketId,
          {
            type: 'RecordRepeat',
            detectionId: this.newId(),
            handoffId: watch.handoff_id,
            messageId: row.message_id,
            finding,
            now: this.clock(),
          },
          cause,
        );
      }
    }
  }

  // ---- REST use cases -------------------------------------------------------------------------

  /** A brief prepared now and recorded (trigger `on_demand`); undefined when the ticket has no transcript. */
  async prepareOnDemand(
    tenantId: string,
    ticketId: string,
    correlationId: string,
  ): Promise<StoredBrief | undefined> {
    const cached = await this.engineFor(tenantId, ticketId, this.pool);
    if (cached.engine.count === 0) return undefined;
    await this.recordBrief(tenantId, ticketId, cached, 'on_demand', { correlationId }, this.pool);
    return this.latestBrief(tenantId, ticketId);
  }

  /** A brief of a transcript given in the request; nothing is stored. */
  async preview(
    tenantId: string,
    messages: readonly TranscriptMessage[],
  ): Promise<{ content: BriefContent; engine: { name: string; version: string }; redacted: boolean }> {
    const taxonomy = await this.taxonomyOf(tenantId);
    const engine = new BriefEngine(taxonomy.compiled);
    for (const message of [...messages].sort((a, b) => a.sequence - b.sequence)) engine.add(message);
    const finished = await this.composer.finish(engine.brief(), () => Promise.resolve(messages));
    return { content: finished.content, engine: finished.engine, redacted: finished.redacted };
  }

  private async briefEvents(tenantId: string, ticketId: string): Promise<RecordedEvent[]> {
    try {
      const events = await this.store.readStream(briefStreamName(ticketId));
      // Ticket ids are global, but a stream is only ever visible to the tenant that owns it.
      return events.filter((e) => e.metadata.tenantId === tenantId && e.type === 'BriefVersionRecorded');
    } catch (error) {
      if (error instanceof StreamNotFound) return [];
      throw error;
    }
  }

  async latestBrief(tenantId: string, ticketId: string): Promise<StoredBrief | undefined> {
    const events = await this.briefEvents(tenantId, ticketId);
    const last = events[events.length - 1];
    return last ? { data: last.data as BriefVersionRecordedData, tenantId, ticketId } : undefined;
  }

  async briefVersion(tenantId: string, ticketId: string, version: number): Promise<StoredBrief | undefined> {
    const events = await this.briefEvents(tenantId, ticketId);
    const found = events.find((e) => (e.data as BriefVersionRecordedData).version === version);
    return found ? { data: found.data as BriefVersionRecordedData, tenantId, ticketId } : undefined;
  }

  /** Messages of the ticket with a sequence above `position` (how stale a stored brief is). */
  async messagesSince(tenantId: string, ticketId: string, position: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM transcript_messages WHERE tenant_id = $1 AND ticket_id = $2 AND sequence > $3',
      [tenantId, ticketId, position],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
