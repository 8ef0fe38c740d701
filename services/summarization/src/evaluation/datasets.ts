// Loaders of the shared evaluation samples. The data stay in ../shared/data (licences forbid
// copying TweetSumm and DialogSum into the repository): the directory is resolved at run time.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** `HANDOFF_DATA_DIR_SHARED`, else `<repository>/../shared/data`. */
export function sharedDataDir(env: Record<string, string | undefined> = process.env): string {
  const override = env.HANDOFF_DATA_DIR_SHARED;
  if (override && override.trim().length > 0) return path.resolve(override);
  const repositoryRoot = path.resolve(__dirname, '..', '..', '..', '..');
  return path.resolve(repositoryRoot, '..', 'shared', 'data');
}

export function hasDataset(dir: string, name: string): boolean {
  return existsSync(path.join(dir, name));
}

const jsonLines = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);

export interface TweetSummDialogue {
  conversation_id: string;
  turns: { index: number; speaker: 'customer' | 'agent'; tweet_id: number; text: string }[];
  abstractive_summaries: string[][];
  extractive_summaries: { turn_index: number; text: string | null }[][];
}

export const loadTweetSumm = (dir: string): TweetSummDialogue[] =>
  jsonLines<TweetSummDialogue>(path.join(dir, 'tweetsumm-sample', 'tweetsumm.sample.jsonl'));

export interface SgdFrame {
  service: string;
  actions: { act: string; slot: string; values: string[] }[];
  slots?: { slot: string; start: number; exclusive_end: number }[];
  service_call?: { method: string; parameters: Record<string, string> };
}

export interface SgdDialogue {
  dialogue_id: string;
  turns: { speaker: 'USER' | 'SYSTEM'; utterance: string; frames: SgdFrame[] }[];
}

export const loadSgd = (dir: string): SgdDialogue[] =>
  jsonLines<SgdDialogue>(path.join(dir, 'sgd-sample', 'sgd.sample.jsonl'));

/** Rows of a `text,category` CSV (RFC 4180: quoted fields may hold commas, quotes and newlines). */
export function parseTextCategoryCsv(content: string): { text: string; label: string }[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < content.length; i += 1) {
    const ch = content[i];
    if (quoted) {
      if (ch === '"' && content[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && content[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field.length > 0 || record.length > 0) records.push([...record, field]);
  return records
    .slice(1)
    .filter((r) => r.length >= 2 && (r[0] ?? '').trim().length > 0)
    .map((r) => ({ text: r.slice(0, -1).join(','), label: (r[r.length - 1] ?? '').trim() }));
}

export const loadBanking77Train = (dir: string) =>
  parseTextCategoryCsv(readFileSync(path.join(dir, 'banking77-sample', 'train.csv'), 'utf8'));

export const loadDstc11 = (dir: string) =>
  jsonLines<{ utterance: string; utterance_id: string; intent: string }>(
    path.join(dir, 'dstc11-intents-sample', 'insurance.sample.jsonl'),
  );

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same draw everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
