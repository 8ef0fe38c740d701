import { UpcastFailed } from './errors';

/** Turns the data of one schema version into the data of the next version. */
export type Upcaster = (
  data: unknown,
  event: { type: string; schemaVersion: number; metadata: unknown },
) => unknown;

/**
 * Upcasters by event type and the schema version they read. Reading applies the chain
 * (v1 → v2 → v3 ...), so callers always get the current shape and schema version; the stored
 * payload, and so the hash chain, never changes.
 */
export class UpcasterRegistry {
  private readonly upcasters = new Map<string, Map<number, Upcaster>>();

  /** Registers the step from `fromSchemaVersion` to `fromSchemaVersion + 1` for `type`. */
  register(type: string, fromSchemaVersion: number, upcast: Upcaster): this {
    if (!Number.isInteger(fromSchemaVersion) || fromSchemaVersion < 1) {
      throw new RangeError(`schema versions are positive integers, got ${fromSchemaVersion}`);
    }
    const steps = this.upcasters.get(type) ?? new Map<number, Upcaster>();
    if (steps.has(fromSchemaVersion)) {
      throw new Error(`an upcaster for ${type} v${fromSchemaVersion} is already registered`);
    }
    steps.set(fromSchemaVersion, upcast);
    this.upcasters.set(type, steps);
    return this;
  }

  /** The newest schema version of `type` the registry knows, or undefined when it has no upcaster for it. */
  currentVersion(type: string): number | undefined {
    const steps = this.upcasters.get(type);
    return steps ? Math.max(...steps.keys()) + 1 : undefined;
  }

  /**
   * Brings an event to the current version of its type; events already current (or of a type
   * without upcasters) come back unchanged.
   * @throws UpcastFailed when a step is missing or an upcaster throws
   */
  upcast<E extends { type: string; schemaVersion: number; data: unknown; metadata: unknown }>(event: E): E {
    const steps = this.upcasters.get(event.type);
    const current = this.currentVersion(event.type);
    if (!steps || current === undefined || event.schemaVersion >= current) return event;
    let { data, schemaVersion } = event;
    while (schemaVersion < current) {
      const step = steps.get(schemaVersion);
      if (!step) {
        throw new UpcastFailed(event.type, schemaVersion, `no upcaster to v${schemaVersion + 1}`);
      }
      try {
        data = step(data, { type: event.type, schemaVersion, metadata: event.metadata });
      } catch (error) {
        throw new UpcastFailed(event.type, schemaVersion, 'the upcaster threw', { cause: error });
      }
      schemaVersion += 1;
    }
    return { ...event, data, schemaVersion };
  }
}
