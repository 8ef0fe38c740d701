import type { IngestItem, IngestMessageHandler, IngestOutcome } from './ingest-message.handler';

interface Waiting {
  item: IngestItem;
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: unknown) => void;
}

export interface IngestBatcherOptions {
  /** Most requests ingested together (`INGEST_BATCH_MAX`). */
  maxBatch: number;
  /** Batches in flight at once; requests arriving meanwhile queue for the next one. */
  maxInFlight: number;
}

/**
 * Group commit for `POST /v1/messages`: the requests that arrive while earlier batches are being
 * ingested wait (at most one batch's time) and then go together through
 * {@link IngestMessageHandler.ingestMany}, so concurrent clients share round trips instead of each
 * paying its own. Each request still gets its own answer or error, and only once the read model
 * holds its message (read-your-writes). A lone request is ingested at once, on the next turn of
 * the event loop.
 */
export class IngestBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly ingestion: IngestMessageHandler,
    private readonly options: IngestBatcherOptions,
  ) {}

  submit(item: IngestItem): Promise<IngestOutcome> {
    return new Promise<IngestOutcome>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Requests parsed in the same turn of the event loop join the same batch.
      if (this.queue.length === 1 && this.inFlight < this.options.maxInFlight)
        setImmediate(() => this.next());
    });
  }

  private next(): void {
    if (this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.inFlight += 1;
    void this.ingestion
      .ingestMany(
        batch.map((w) => w.item),
        { awaitProjection: true, keepOrder: false },
      )
      .then(
        (results) =>
          results.forEach((result, i) => {
            const waiting = batch[i]!;
            if (result.ok) waiting.resolve(result.outcome);
            else waiting.reject(result.error);
          }),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        this.next();
      });
    // A second batch may start at once with what is left (more than one batch's worth queued).
    if (this.queue.length > 0) this.next();
  }
}
