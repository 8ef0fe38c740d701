import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { type PartitionerArgs, Partitioners } from 'kafkajs';
import {
  crc32c,
  encodeRecord,
  installVarIntWriter,
  keyHashPartitioner,
  murmur2,
  type RecordFields,
  writeUVarIntInPlace,
} from './kafkajs-fast-paths';

const ROOT = path.resolve(__dirname, '../../../..');

// kafkajs' own code, the reference: its murmur2 and its encoder (untyped internals).
/* eslint-disable @typescript-eslint/no-require-imports */
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer | string,
) => number;
interface Encoder {
  writeUVarInt(value: number): Encoder;
  writeVarInt(value: number): Encoder;
  writeVarIntString(value: string): Encoder;
  writeVarIntBytes(value: Buffer | string): Encoder;
  readonly buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder') as {
  new (initialSize?: number): Encoder;
  prototype: Encoder;
};
/* eslint-enable @typescript-eslint/no-require-imports */

// Captured before anything installs the in-place writer (each spec file has its own modules).
const kafkajsWriteUVarInt = Encoder.prototype.writeUVarInt;

/** Keys of every length up to 70 bytes: hex, UTF-8 with multi-byte characters, raw bytes. */
function keys(): (Buffer | string)[] {
  const out: (Buffer | string)[] = ['', 'a', 'ab', 'abc', 'abcd', 'customer-1', 'é', '€uro', '😀'];
  for (let length = 0; length <= 70; length++) {
    for (let i = 0; i < 20; i++) {
      const bytes = crypto.randomBytes(length);
      out.push(bytes, bytes.toString('hex').slice(0, length), bytes.toString('latin1'));
      out.push(
        Array.from({ length: length % 12 }, () => String.fromCodePoint(0x80 + (bytes[0] ?? 7) * 97)).join(''),
      );
    }
  }
  for (let i = 0; i < 200; i++) out.push(crypto.randomUUID());
  return out;
}

const metadata = (partitions: number, leaderless: number[] = []): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('murmur2', () => {
  it("hashes every key as kafkajs' murmur2 does", () => {
    const all = keys();
    expect(all.length).toBeGreaterThan(5_000);
    for (const key of all) expect([key, murmur2(key)]).toEqual([key, kafkajsMurmur2(key)]);
  });

  it("matches the Java client's published values", () => {
    // Kafka's UtilsTest.testMurmur2: the bytes of these strings and their hashes.
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });
});

describe('keyHashPartitioner', () => {
  it("puts every keyed message on the partition kafkajs' default partitioner chooses", () => {
    const ours = keyHashPartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 2, 3, 6, 7, 12, 64]) {
      const partitionMetadata = metadata(partitions);
      for (const key of keys().slice(0, 2_000)) {
        const args = { topic: 't', partitionMetadata, message: { key, value: null } };
        expect(ours(args)).toBe(kafkajs(args));
      }
    }
  });

  it('keeps a partition the message names', () => {
    const partition = keyHashPartitioner()({
      topic: 't',
      partitionMetadata: metadata(6),
      message: { key: 'k', value: null, partition: 4 },
    });
    expect(partition).toBe(4);
  });

  it('spreads messages without a key round-robin over the partitions that have a leader', () => {
    const partitioner = keyHashPartitioner();
    const partitionMetadata = metadata(4, [1]);
    const chosen = Array.from({ length: 9 }, () =>
      partitioner({ topic: 't', partitionMetadata, message: { value: 'v' } }),
    );
    expect(new Set(chosen)).toEqual(new Set([0, 2, 3]));
    // In turn: each of the three once in every three messages.
    for (let i = 3; i < chosen.length; i++) expect(chosen[i]).toBe(chosen[i - 3]);
    expect(new Set(chosen.slice(0, 3)).size).toBe(3);
  });
});

describe('varint writer', () => {
  const values = [
    ...Array.from({ length: 33 }, (_, bit) => 2 ** bit),
    ...Array.from({ length: 33 }, (_, bit) => 2 ** bit - 1),
    ...Array.from({ length: 32 }, (_, bit) => -(2 ** bit)),
    ...Array.from({ length: 2_000 }, () => crypto.randomBytes(4).readInt32BE(0) >> (Math.random() * 31)),
  ];

  it("writes every varint, unsigned and zigzag, as kafkajs' encoder does", () => {
    for (const value of values) {
      for (const size of [1, 7, 512]) {
        const expected = kafkajsWriteUVarInt.call(new Encoder(size), value).buffer;
        expect([value, writeUVarIntInPlace.call(new Encoder(size) as never, value).buffer]).toEqual([
          value,
          expected,
        ]);
      }
    }
  });

  it('is installed after checking itself, and then encodes records byte for byte as before', () => {
    const record = (encoder: Encoder) =>
      encoder
        .writeVarInt(-1)
        .writeVarInt(123_456)
        .writeVarIntString('ce_type')
        .writeVarIntBytes('conversations.message-received.v1')
        .writeVarIntBytes(Buffer.alloc(300, 7)).buffer;
    const before = record(new Encoder());
    expect(installVarIntWriter()).toBe(true);
    expect(Encoder.prototype.writeUVarInt).toBe(writeUVarIntInPlace);
    expect(installVarIntWriter()).toBe(true);
    expect(record(new Encoder())).toEqual(before);
  });
});

describe('record encoder', () => {
  // kafkajs' own record encoder (each spec file has its own modules: nothing replaced it here).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (
    fields: RecordFields,
  ) => Encoder;

  const text = (length: number) => 'aé€😀"'.repeat(Math.ceil(length / 5)).slice(0, length);
  const bytes = (length: number) => crypto.randomBytes(length);
  const sizes = [0, 1, 5, 63, 64, 127, 128, 300, 500, 511, 512, 1_000, 3_000];
  const deltas = [0, 1, -1, 37, 2 ** 20, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 86_400_000 * 900];

  function randomRecord(i: number): RecordFields {
    const pick = <T>(values: readonly T[]): T => values[crypto.randomInt(values.length)]!;
    const value = (): Buffer | string => (i % 2 === 0 ? text(pick(sizes)) : bytes(pick(sizes)));
    const headers: NonNullable<RecordFields['headers']> = {};
    for (let h = 0; h < i % 14; h++)
      headers[`ce_${text(h % 6)}${h}`] = h % 5 === 4 ? [value(), value()] : value();
    return {
      ...(i % 9 === 0 ? {} : { offsetDelta: crypto.randomInt(2 ** 31) >> crypto.randomInt(31) }),
      ...(i % 11 === 0 ? {} : { timestampDelta: pick(deltas) }),
      key: i % 6 === 0 ? null : value(),
      value: i % 13 === 0 ? null : value(),
      headers,
    };
  }

  it("encodes records with their headers byte for byte as kafkajs' record encoder does", () => {
    const differing: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const fields = randomRecord(i);
      if (!encodeRecord(fields).buffer.equals(kafkajsRecord(fields).buffer)) differing.push(i);
    }
    expect(differing).toEqual([]);
  });

  it('writes a record into one buffer of its size', () => {
    const headers = Object.fromEntries(Array.from({ length: 12 }, (_, h) => [`ce_h${h}`, text(40)]));
    const encoder = encodeRecord({ key: 'ticket-1', value: text(1_500), headers }) as unknown as {
      buf: Buffer;
      offset: number;
    };
    // One buffer of the next power of two above the record's size (kafkajs: 512 bytes, grown, and
    // one of 512 bytes per header).
    expect(encoder.buf.length).toBeLessThan(2 * encoder.offset);
    expect(encoder.buf.length).toBeGreaterThanOrEqual(encoder.offset);
  });

  const produceRequest = (mode: 'none' | 'install' | 'install-late') => {
    const output = execFileSync(
      process.execPath,
      [
        '-r',
        path.join(ROOT, 'scripts/ts-register.cjs'),
        path.join(__dirname, 'testing/produce-request.process.ts'),
        mode,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    return JSON.parse(output) as {
      installed?: boolean;
      checksumInstalled?: boolean;
      recordEncoderIsOurs: boolean;
      checksumIsOurs: boolean;
      hex: string;
    };
  };

  it("is installed before a process' first produce request, which then encodes as kafkajs' own", () => {
    const kafkajs = produceRequest('none');
    const installed = produceRequest('install');
    expect(kafkajs.recordEncoderIsOurs).toBe(false);
    expect(kafkajs.checksumIsOurs).toBe(false);
    expect(installed.installed).toBe(true);
    expect(installed.recordEncoderIsOurs).toBe(true);
    expect(installed.checksumInstalled).toBe(true);
    expect(installed.checksumIsOurs).toBe(true);
    expect(installed.hex.length).toBeGreaterThan(20_000);
    expect(installed.hex).toBe(kafkajs.hex);
  }, 30_000);

  it('leaves kafkajs its own encoder once its produce request is loaded', () => {
    const late = produceRequest('install-late');
    expect(late.installed).toBe(false);
    expect(late.recordEncoderIsOurs).toBe(false);
    expect(late.checksumInstalled).toBe(false);
    expect(late.checksumIsOurs).toBe(false);
    expect(late.hex).toBe(produceRequest('none').hex);
  }, 30_000);
});

describe('batch checksum', () => {
  // kafkajs' own (each spec file has its own modules: nothing replaced it here).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

  it('gives the published CRC-32C check values (RFC 3720, B.4)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it("checksums every buffer as kafkajs' byte-at-a-time code does, views at any offset included", () => {
    const differing: number[] = [];
    const backing = crypto.randomBytes(70_000);
    for (let i = 0; i < 3_000; i++) {
      const length = i < 300 ? i : crypto.randomInt(70_000 - 8);
      const buffer = backing.subarray(i % 8, (i % 8) + length);
      if (crc32c(buffer) !== kafkajsCrc32C(buffer)) differing.push(i);
    }
    expect(differing).toEqual([]);
  });
});
