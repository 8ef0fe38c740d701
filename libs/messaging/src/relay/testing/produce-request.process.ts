/**
 * A process that encodes one kafkajs produce request (v3, fixed timestamps, headers of every
 * shape) and prints its bytes: with `install`, after {@link installRecordEncoder} and
 * {@link installBatchChecksum}; with `install-late`, after kafkajs has loaded its produce request.
 * Prints `{ installed, checksumInstalled, recordEncoderIsOurs, checksumIsOurs, hex }` as one JSON line.
 */
import { crc32c, encodeRecord, installBatchChecksum, installRecordEncoder } from '../kafkajs-fast-paths';

interface ProduceRequest {
  encode(): Promise<{ buffer: Buffer }>;
}

async function main(mode: string): Promise<void> {
  const producePath = 'kafkajs/src/protocol/requests/produce/v3/request';
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (mode === 'install-late') require(producePath);
  const installed = mode === 'none' ? undefined : installRecordEncoder();
  const checksumInstalled = mode === 'none' ? undefined : installBatchChecksum();
  const produce = require(producePath) as (request: object) => ProduceRequest;
  const recordEncoderIsOurs = require('kafkajs/src/protocol/recordBatch/record/v0') === encodeRecord;
  const checksumIsOurs = require('kafkajs/src/protocol/recordBatch/crc32C') === crc32c;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const at = 1_796_000_000_000;
  const messages = Array.from({ length: 40 }, (_, i) => ({
    key: i % 5 === 0 ? null : `ticket-${i}`,
    value: i % 7 === 0 ? Buffer.alloc(i * 50, i) : JSON.stringify({ i, text: '€'.repeat(i * 13) }),
    timestamp: String(at + i * 37),
    headers: {
      ce_id: `id-${i}`,
      ce_type: 'dev.handoff.conversations.MessageReceived.v1',
      ...(i % 3 === 0 ? { many: ['a', Buffer.from([i]), 'ü'.repeat(i)] } : {}),
      ...(i % 4 === 0 ? { long: 'v'.repeat(600 + i) } : {}),
    },
  }));
  const request = produce({
    acks: -1,
    timeout: 30_000,
    topicData: [
      { topic: 'handoff.test', partitions: [{ partition: 0, firstSequence: 0, messages }] },
      {
        topic: 'handoff.other',
        partitions: [{ partition: 3, firstSequence: 0, messages: messages.slice(0, 3) }],
      },
    ],
  });
  const { buffer } = await request.encode();
  process.stdout.write(
    `${JSON.stringify({ installed, checksumInstalled, recordEncoderIsOurs, checksumIsOurs, hex: buffer.toString('hex') })}\n`,
  );
}

main(process.argv[2] ?? 'none').catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
