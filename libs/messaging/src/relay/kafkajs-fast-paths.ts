import crypto from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

/**
 * Three of kafkajs' (2.2.4) per-message steps are plain arithmetic done with allocations, and they
 * were among the largest allocation sites of the conversations service under inbound load (its
 * relay produces a keyed record with a dozen CloudEvents headers for each public event):
 *
 * - the default partitioner hashes the key with murmur2 on `Long` objects, several per 4 bytes of
 *   key ({@link murmur2} does the same 32-bit arithmetic with `Math.imul`);
 * - the encoder writes every varint (each record field, each header's key and value lengths)
 *   through a new array and a new `Buffer` ({@link installVarIntWriter} writes it in place);
 * - a record is encoded into a new 512-byte buffer, grown (a new buffer and a copy) when its value
 *   does not fit, and each header into a 512-byte buffer of its own that is then copied into it
 *   ({@link encodeRecord} writes the record and its headers into one buffer of the record's size).
 *
 * A fourth is a per-byte step: each produced record batch's CRC-32C, computed a byte at a time
 * ({@link crc32c} folds in eight bytes at a time).
 *
 * All four give byte-for-byte and partition-for-partition what kafkajs gives; the specs compare
 * them with kafkajs' own code, and the varint writer, the record encoder and the checksum check
 * themselves against kafkajs' before replacing its own.
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

/** The part of kafkajs' protocol `Encoder` the varint writer and the record encoder use. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt: (this: KafkajsEncoder, value: number) => KafkajsEncoder;
  writeVarInt(value: number): KafkajsEncoder;
  writeVarLong(value: number): KafkajsEncoder;
  writeInt8(value: number): KafkajsEncoder;
  writeVarIntString(value: string): KafkajsEncoder;
  writeVarIntBytes(value: RecordBytes): KafkajsEncoder;
  readonly buffer: Buffer;
}

interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  prototype: KafkajsEncoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: number): number;
  sizeOfVarIntBytes(value: RecordBytes): number;
}

let encoderClass: KafkajsEncoderClass | undefined;

/** kafkajs' protocol `Encoder`, loaded once (a `require` per record cost a module lookup each). */
function kafkajsEncoder(): KafkajsEncoderClass {
  // kafkajs has no typings (nor an `exports` map) for its protocol modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  encoderClass ??= require('kafkajs/src/protocol/encoder') as KafkajsEncoderClass;
  return encoderClass;
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
  const Encoder = kafkajsEncoder();
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

/** A record's key, value or header value, as kafkajs takes them. */
type RecordBytes = Buffer | string | null | undefined;

/** What kafkajs' produce request hands its record encoder (`recordBatch/record/v0`) for a message. */
export interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: RecordBytes;
  value?: RecordBytes;
  headers?: Record<string, RecordBytes | RecordBytes[]>;
}

/** A value whose zigzag varlong is its zigzag varint: the same bytes, without kafkajs' `Long`s. */
const isInt32 = (value: number): boolean => Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;

/**
 * A Kafka record (v2 message format) with its headers, encoded as kafkajs' `recordBatch/record/v0`
 * encodes it, into one buffer of the record's size: the same length prefix (computed as kafkajs
 * computes it), attributes, timestamp and offset deltas, key, value, and each header's key and
 * value written in place instead of into an encoder of its own.
 */
export function encodeRecord({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordFields): KafkajsEncoder {
  const Encoder = kafkajsEncoder();
  const headersArray: { key: string; value: RecordBytes }[] = [];
  for (const headerKey of Object.keys(headers)) {
    const headerValue = headers[headerKey];
    if (!Array.isArray(headerValue)) headersArray.push({ key: headerKey, value: headerValue });
    else for (const each of headerValue) headersArray.push({ key: headerKey, value: each });
  }
  // kafkajs' sizeOfHeaders, as it is (a null value counts as -1; `byteLength` throws on it first).
  let sizeOfHeaders = Encoder.sizeOfVarInt(headersArray.length);
  for (const header of headersArray) {
    const keySize = Buffer.byteLength(header.key);
    const valueSize = Buffer.byteLength(header.value as string | Buffer);
    sizeOfHeaders += Encoder.sizeOfVarInt(keySize) + keySize;
    sizeOfHeaders +=
      header.value === null ? Encoder.sizeOfVarInt(-1) : Encoder.sizeOfVarInt(valueSize) + valueSize;
  }
  const timestampInt32 = isInt32(timestampDelta);
  const sizeOfBody =
    1 +
    (timestampInt32 ? Encoder.sizeOfVarInt(timestampDelta) : Encoder.sizeOfVarLong(timestampDelta)) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    sizeOfHeaders;
  // The body and its length (a varint of at most 5 bytes); a body larger than computed still grows.
  const encoder = new Encoder(sizeOfBody + 5).writeVarInt(sizeOfBody).writeInt8(0);
  if (timestampInt32) encoder.writeVarInt(timestampDelta);
  else encoder.writeVarLong(timestampDelta);
  encoder.writeVarInt(offsetDelta).writeVarIntBytes(key).writeVarIntBytes(value);
  encoder.writeVarInt(headersArray.length);
  for (const header of headersArray) encoder.writeVarIntString(header.key).writeVarIntBytes(header.value);
  return encoder;
}

/** Records whose encodings the check compares: headers of every shape, values around 512 bytes. */
function checkedRecords(): RecordFields[] {
  const headers = {
    ce_id: '0192d1f0-7c1e-7a11-8d3e-5a4c3b2a1f00',
    ce_type: 'dev.handoff.conversations.MessageReceived.v1',
    ce_tenantid: 'tenant-é',
    traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    many: ['a', Buffer.from([0, 1, 2]), '€'],
  };
  return [
    {},
    { key: null, value: null },
    { key: 'k', value: 'v', headers: {} },
    { offsetDelta: 3, timestampDelta: 17, key: 'ticket-1', value: 'x'.repeat(511), headers },
    {
      offsetDelta: 1_000,
      timestampDelta: -5,
      key: Buffer.from('😀'),
      value: Buffer.alloc(4_000, 9),
      headers,
    },
    { offsetDelta: 2 ** 31 - 1, timestampDelta: 2 ** 31, key: 'k'.repeat(600), value: '€'.repeat(300) },
    { timestampDelta: -(2 ** 31) - 1, value: 'v', headers: { h: '' } },
    { timestampDelta: 86_400_000 * 400, value: '{"a":1}', headers: { h: 'v'.repeat(1_000) } },
  ];
}

let recordInstalled: boolean | undefined;

/**
 * Has kafkajs' produce request encode its records with {@link encodeRecord} (for every producer of
 * the process), once, if both encode the checked records to the same bytes. kafkajs' produce
 * request takes its record encoder from the module cache when it is first loaded, at the process'
 * first produce request; after that (or where modules are not loaded through Node's cache) kafkajs
 * keeps its own. Returns whether the encoder is installed.
 */
export function installRecordEncoder(): boolean {
  recordInstalled ??= replaceKafkajsModule(
    'kafkajs/src/protocol/recordBatch/record/v0',
    'kafkajs/src/protocol/requests/produce/v3/request',
    encodeRecord,
    (original) =>
      checkedRecords().every((fields) => original(fields).buffer.equals(encodeRecord(fields).buffer)),
  );
  return recordInstalled;
}

/**
 * Puts `replacement` in place of the exports of kafkajs' module `target` in Node's module cache, if
 * `takenBy` (the kafkajs module that takes `target`'s exports once, when it is loaded) is not loaded
 * yet and `same` finds the replacement giving what kafkajs' own gives. Returns whether `target`
 * now resolves to the replacement.
 */
function replaceKafkajsModule<T>(
  target: string,
  takenBy: string,
  replacement: T,
  same: (original: T) => boolean,
): boolean {
  const targetPath = require.resolve(target);
  const cache = require.cache as Partial<NodeJS.Dict<NodeJS.Module>>;
  if (cache[require.resolve(takenBy)]) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const original = require(targetPath) as T;
  const entry = cache[targetPath];
  if (!entry || !same(original)) return false;
  entry.exports = replacement;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(targetPath) === replacement;
}

/**
 * CRC-32C (Castagnoli) lookup tables for slicing by 8: table `t` (at `t * 256`) gives the CRC of a
 * byte followed by `t` zero bytes, so eight bytes are folded in per step instead of one.
 */
const CRC32C_TABLES = (() => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let t = 1; t < 8; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c;
    }
  }
  return tables;
})();

/**
 * The CRC-32C of `buffer` as an unsigned 32-bit number: what a v2 record batch carries, and what
 * kafkajs' `recordBatch/crc32C` computes a byte at a time (about 300 MB/s here, against 600 to
 * 800 MB/s for these eight at a time). The relay checksums every batch it produces.
 */
export function crc32c(buffer: Uint8Array): number {
  const t = CRC32C_TABLES;
  let crc = -1;
  let i = 0;
  const whole = buffer.length - (buffer.length & 7);
  for (; i < whole; i += 8) {
    const low = crc ^ (buffer[i]! | (buffer[i + 1]! << 8) | (buffer[i + 2]! << 16) | (buffer[i + 3]! << 24));
    crc =
      t[1792 + (low & 0xff)]! ^
      t[1536 + ((low >>> 8) & 0xff)]! ^
      t[1280 + ((low >>> 16) & 0xff)]! ^
      t[1024 + (low >>> 24)]! ^
      t[768 + buffer[i + 4]!]! ^
      t[512 + buffer[i + 5]!]! ^
      t[256 + buffer[i + 6]!]! ^
      t[buffer[i + 7]!]!;
  }
  for (; i < buffer.length; i++) crc = t[(crc ^ buffer[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

let crcInstalled: boolean | undefined;

/**
 * Has kafkajs checksum its record batches with {@link crc32c} (for every producer of the process),
 * once, if both give the same checksums for buffers of every length up to 70 bytes and a few large
 * ones. kafkajs' record batch module takes its checksum function from the module cache when it is
 * first loaded (at the process' first fetch or produce request); after that kafkajs keeps its own.
 * Returns whether the checksum is installed.
 */
export function installBatchChecksum(): boolean {
  crcInstalled ??= replaceKafkajsModule(
    'kafkajs/src/protocol/recordBatch/crc32C',
    'kafkajs/src/protocol/recordBatch/v0',
    crc32c,
    (original: (buffer: Buffer) => number) =>
      [
        ...Array.from({ length: 71 }, (_, length) => crypto.randomBytes(length)),
        crypto.randomBytes(1_000),
        crypto.randomBytes(65_537).subarray(3),
      ].every((buffer) => original(buffer) === crc32c(buffer)),
  );
  return crcInstalled;
}
