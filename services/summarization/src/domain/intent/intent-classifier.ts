// A nearest-example intent classifier over TF-IDF vectors: each intent is scored by its closest
// example and by its centroid, so one good paraphrase or many loosely related examples both count.
// Features are stemmed content words, word bigrams and character 4-grams (robust to typos and
// inflections that the light stemmer misses). Deterministic and trained in milliseconds.

import { STOPWORDS, stem, tokenize } from '../text/tokenizer';

export type SparseVector = Map<string, number>;

/** Raw feature counts of a text (before IDF weighting). */
export function featureCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string, weight = 1): void => {
    counts.set(feature, (counts.get(feature) ?? 0) + weight);
  };
  const tokens = tokenize(text);
  const stems = tokens.map(stem);
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] ?? '';
    const s = stems[i] ?? '';
    if (!STOPWORDS.has(token)) add(`w:${s}`);
    if (i + 1 < stems.length) add(`b:${s}_${stems[i + 1] ?? ''}`, 0.7);
    const padded = ` ${s} `;
    if (padded.length >= 4)
      for (let j = 0; j + 4 <= padded.length; j += 1) add(`c:${padded.slice(j, j + 4)}`, 0.25);
  }
  return counts;
}

function normalise(vector: SparseVector): SparseVector {
  let norm = 0;
  for (const v of vector.values()) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm === 0) return vector;
  for (const [k, v] of vector) vector.set(k, v / norm);
  return vector;
}

/** Cosine of two unit vectors (iterates the smaller one). */
export function dot(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [k, v] of small) {
    const w = large.get(k);
    if (w !== undefined) sum += v * w;
  }
  return sum;
}

export interface IntentExampleSet {
  name: string;
  examples: readonly string[];
  description?: string;
}

export interface IntentScore {
  label: string;
  score: number;
}

export interface IntentPrediction {
  label: string;
  /** 0..1: the winning similarity, damped when the runner-up is close. */
  confidence: number;
  ranking: IntentScore[];
}

/** The classifier of one taxonomy; build once, classify many texts. */
export class IntentClassifier {
  private readonly idf = new Map<string, number>();
  private readonly intents: { name: string; examples: SparseVector[]; centroid: SparseVector }[] = [];
  /** feature → [example owner intent, example index within all examples, weight]: scoring touches only shared features. */
  private readonly exampleIndex = new Map<string, [number, number, number][]>();
  private readonly centroidIndex = new Map<string, [number, number][]>();
  private exampleCount = 0;
  private readonly defaultIdf: number;

  constructor(
    sets: readonly IntentExampleSet[],
    private readonly nearestWeight = 0.2,
  ) {
    const documents: { intent: number; counts: Map<string, number> }[] = [];
    sets.forEach((set, index) => {
      const texts = [...set.examples, ...(set.description ? [set.description] : [])];
      for (const text of texts) documents.push({ intent: index, counts: featureCounts(text) });
    });
    const df = new Map<string, number>();
    for (const doc of documents) for (const k of doc.counts.keys()) df.set(k, (df.get(k) ?? 0) + 1);
    const n = Math.max(1, documents.length);
    for (const [k, d] of df) this.idf.set(k, Math.log((1 + n) / (1 + d)) + 1);
    this.defaultIdf = Math.log(1 + n) + 1;
    sets.forEach((set, index) => {
      const examples = documents.filter((d) => d.intent === index).map((d) => this.vectorOf(d.counts));
      const centroid: SparseVector = new Map();
      for (const example of examples)
        for (const [k, v] of example) centroid.set(k, (centroid.get(k) ?? 0) + v);
      this.intents.push({ name: set.name, examples, centroid: normalise(centroid) });
      for (const example of examples) {
        const id = this.exampleCount;
        this.exampleCount += 1;
        for (const [k, v] of example) {
          const postings = this.exampleIndex.get(k) ?? [];
          postings.push([index, id, v]);
          this.exampleIndex.set(k, postings);
        }
      }
      for (const [k, v] of centroid) {
        const postings = this.centroidIndex.get(k) ?? [];
        postings.push([index, v]);
        this.centroidIndex.set(k, postings);
      }
    });
  }

  /** TF-IDF unit vector of a text in this taxonomy's feature space. */
  vectorize(text: string): SparseVector {
    return this.vectorOf(featureCounts(text));
  }

  private vectorOf(counts: Map<string, number>): SparseVector {
    const vector: SparseVector = new Map();
    for (const [k, c] of counts) {
      // Features no example has cannot match anything; skipping them keeps vectors small.
      const idf = this.idf.get(k);
      if (idf === undefined && this.idf.size > 0) continue;
      vector.set(k, (1 + Math.log(c)) * (idf ?? this.defaultIdf));
    }
    return normalise(vector);
  }

  classifyVector(vector: SparseVector): IntentPrediction {
    const exampleScores = new Float64Array(this.exampleCount);
    const exampleOwner = new Int32Array(this.exampleCount);
    const centroidScores = new Float64Array(this.intents.length);
    for (const [k, v] of vector) {
      for (const [intent, id, w] of this.exampleIndex.get(k) ?? []) {
        exampleScores[id] = (exampleScores[id] ?? 0) + v * w;
        exampleOwner[id] = intent;
      }
      for (const [intent, w] of this.centroidIndex.get(k) ?? [])
        centroidScores[intent] = (centroidScores[intent] ?? 0) + v * w;
    }
    const nearest = new Float64Array(this.intents.length);
    exampleScores.forEach((score, id) => {
      const owner = exampleOwner[id] ?? 0;
      if (score > (nearest[owner] ?? 0)) nearest[owner] = score;
    });
    const ranking: IntentScore[] = this.intents.map((intent, index) => ({
      label: intent.name,
      score:
        this.nearestWeight * (nearest[index] ?? 0) + (1 - this.nearestWeight) * (centroidScores[index] ?? 0),
    }));
    ranking.sort((a, b) => b.score - a.score || a.label.localeCompare(b.label));
    const top = ranking[0];
    if (!top) return { label: 'unknown', confidence: 0, ranking };
    const runnerUp = ranking[1]?.score ?? 0;
    const margin = top.score > 0 ? (top.score - runnerUp) / top.score : 0;
    const confidence = Math.max(0, Math.min(1, top.score * (0.5 + 0.5 * margin) * 1.6));
    return { label: top.label, confidence: Math.round(confidence * 1000) / 1000, ranking };
  }

  classify(text: string): IntentPrediction {
    return this.classifyVector(this.vectorize(text));
  }
}
