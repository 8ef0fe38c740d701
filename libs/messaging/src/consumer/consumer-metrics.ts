/** A point-in-time copy of a consumer's counters, ready for a Prometheus exporter. */
export interface ConsumerMetricsSnapshot {
  consumed: number;
  applied: number;
  duplicates: number;
  retried: number;
  deadLettered: Record<string, number>;
  /** Messages behind the high watermark, per `topic/partition`, as of the last fetched batch. */
  lag: Record<string, number>;
  /** Sum of {@link lag} over the partitions this instance consumes. */
  totalLag: number;
  /** Partitions per topic assigned to this instance at its last group join. */
  assignment: Record<string, number[]>;
  /** How many times this instance joined its group (1 + rebalances it took part in). */
  groupJoins: number;
}

/** Counters of one consumer instance: consumed, applied, duplicates, retried, dead-lettered, lag. */
export class ConsumerMetrics {
  private consumed = 0;
  private applied = 0;
  private duplicates = 0;
  private retried = 0;
  private readonly deadLettered = new Map<string, number>();
  private readonly lag = new Map<string, number>();
  private assignment: Record<string, number[]> = {};
  private groupJoins = 0;

  /** @internal */
  countConsumed(): void {
    this.consumed += 1;
  }
  /** @internal */
  countApplied(): void {
    this.applied += 1;
  }
  /** @internal */
  countDuplicate(): void {
    this.duplicates += 1;
  }
  /** @internal */
  countRetry(): void {
    this.retried += 1;
  }
  /** @internal */
  countDeadLettered(reason: string): void {
    this.deadLettered.set(reason, (this.deadLettered.get(reason) ?? 0) + 1);
  }
  /** @internal Records the lag of a partition, e.g. from kafkajs' `END_BATCH_PROCESS` event. */
  recordLag(topic: string, partition: number, lag: number): void {
    this.lag.set(`${topic}/${partition}`, Math.max(0, lag));
  }
  /** @internal Records a new assignment and forgets the lag of partitions no longer owned. */
  recordAssignment(assignment: Record<string, number[]>): void {
    this.groupJoins += 1;
    this.assignment = Object.fromEntries(
      Object.entries(assignment).map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]),
    );
    for (const key of [...this.lag.keys()]) {
      const slash = key.lastIndexOf('/');
      const owned = this.assignment[key.slice(0, slash)]?.includes(Number(key.slice(slash + 1)));
      if (!owned) this.lag.delete(key);
    }
  }

  /** The current counters. */
  snapshot(): ConsumerMetricsSnapshot {
    const lag = Object.fromEntries(this.lag);
    return {
      consumed: this.consumed,
      applied: this.applied,
      duplicates: this.duplicates,
      retried: this.retried,
      deadLettered: Object.fromEntries(this.deadLettered),
      lag,
      totalLag: Object.values(lag).reduce((sum, n) => sum + n, 0),
      assignment: structuredClone(this.assignment),
      groupJoins: this.groupJoins,
    };
  }
}
