import crypto from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

/**
 * Two of kafkajs' (2.2.4) per-message steps are plain arithmetic done with allocations, and they
 * were among the largest allocation sites of the conversations service under inbound load (its
 * relay produces a keyed record with a dozen CloudEvents headers for each public event); without
 * them the service allocated a seventh less in the inbound benchmark:
 *
 * - the default partitioner hashes the key with murmur2 on `Long` objects, several per 4 bytes of
 *   key ({@link murmur2} does the same 32-bit arithmetic with `Math.imul`);
 * - the encoder writes every varint (each record field, each header's key and value lengths)
 *   through a new array and a new `Buffer` ({@link installVarIntWriter} writes it in place).
 *
 * Both give byte-for-byte and partition-for-partition what kafkajs gives; the specs compare them
 * with kafkajs' own code, and the varint writer checks itself against kafkajs' before replacing it.
 */

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/**
 * Kafka's murmur2 of a record key (the Java client's `Utils.murmur2`, which kafkajs' default
 * partitioner follows): a signed 32-bit hash of the key's bytes (a string's UTF-8 bytes).
 */
export function murmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[whole + 2]! << 16;
    if (rest >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs' `Partitioners.DefaultPartitioner` on {@link murmur2}: a message's own partition if it
 * names one; else, with a key, the key's murmur2 (made positive) modulo the topic's partitions, so
 * every key lands where kafkajs (and the Java client) put it; else round-robin over the partitions
 * that have a leader, from a random start per topic.
 */
export const keyHashPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const partitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined)
      return (murmur2(message.key) & 0x7fffffff) % partitions;
    const counter = (counters.get(topic) ?? crypto.randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((partition) => partition.leader >= 0);
    if (available.length > 0) return available[(counter & 0x7fffffff) % available.length]!.partitionId;
    return (counter & 0x7fffffff) % partitions;
  };
};

/** The part of kafkajs' protocol `Encoder` the varint writer uses. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt: (this: KafkajsEncoder, value: number) => KafkajsEncoder;
  readonly buffer: Buffer;
}

interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  prototype: KafkajsEncoder;
}

/** An unsigned LEB128 varint of a 32-bit value (at most 5 bytes), written into the encoder's buffer. */
export function writeUVarIntInPlace(this: KafkajsEncoder, value: number): KafkajsEncoder {
  this.ensureAvailable(5);
  let rest = value;
  while ((rest & 0xffffff80) !== 0) {
    this.buf[this.offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  this.buf[this.offset++] = rest & 0x7f;
  return this;
}

/** Values whose encodings the check compares: every length of varint, both signs, the extremes. */
const CHECKED_VALUES = [
  0,
  1,
  -1,
  63,
  -64,
  64,
  -65,
  127,
  128,
  255,
  8_191,
  8_192,
  16_383,
  16_384,
  1_048_575,
  1_048_576,
  134_217_727,
  134_217_728,
  2 ** 30,
  -(2 ** 30),
  2 ** 31 - 1,
  -(2 ** 31),
  1_000_000_007,
  -123_456_789,
];

let installed: boolean | undefined;

/**
 * Replaces kafkajs' `Encoder.prototype.writeUVarInt` (for every producer and consumer of the
 * process) by {@link writeUVarIntInPlace}, once, if both encode {@link CHECKED_VALUES} to the same
 * bytes; a kafkajs whose encoder differs keeps its own. Returns whether the writer is installed.
 */
export function installVarIntWriter(): boolean {
  if (installed !== undefined) return installed;
  // kafkajs has no typings (nor an `exports` map) for its protocol modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Encoder = require('kafkajs/src/protocol/encoder') as KafkajsEncoderClass;
  const original = Encoder.prototype.writeUVarInt;
  const encode = (write: (this: KafkajsEncoder, value: number) => KafkajsEncoder): Buffer => {
    const encoder = new Encoder(8);
    for (const value of CHECKED_VALUES) {
      write.call(encoder, value);
      // Signed varints too (zigzag, then the unsigned writer), as records and headers use them.
      const zigzag = (value << 1) ^ (value >> 31);
      write.call(encoder, zigzag);
    }
    return encoder.buffer;
  };
  installed = typeof original === 'function' && encode(original).equals(encode(writeUVarIntInPlace));
  if (installed) Encoder.prototype.writeUVarInt = writeUVarIntInPlace;
  return installed;
}
