// Intent induction: groups unlabelled customer utterances into intents (to seed a tenant's
// taxonomy). Average-linkage agglomerative clustering over TF-IDF vectors of the same features the
// classifier uses; deterministic (ties break by index).

import { dot, featureCounts, type SparseVector } from './intent-classifier';

function tfidfVectors(texts: readonly string[]): SparseVector[] {
  const counts = texts.map(featureCounts);
  const df = new Map<string, number>();
  for (const c of counts) for (const k of c.keys()) df.set(k, (df.get(k) ?? 0) + 1);
  const n = texts.length;
  return counts.map((c) => {
    const v: SparseVector = new Map();
    let norm = 0;
    for (const [k, count] of c) {
      const w = (1 + Math.log(count)) * (Math.log((1 + n) / (1 + (df.get(k) ?? 0))) + 1);
      v.set(k, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [k, w] of v) v.set(k, w / norm);
    return v;
  });
}

/**
 * Cluster index (0-based) of each text, with `k` clusters (at most one per text). Merges the two
 * clusters of highest average pairwise similarity until `k` remain.
 */
export function induceIntents(texts: readonly string[], k: number): number[] {
  const vectors = tfidfVectors(texts);
  const n = texts.length;
  const sim: number[][] = vectors.map((a) => vectors.map((b) => dot(a, b)));
  let clusters: number[][] = texts.map((_, i) => [i]);
  const target = Math.max(1, Math.min(k, n));
  while (clusters.length > target) {
    let best = -Infinity;
    let pair: [number, number] = [0, 1];
    for (let i = 0; i < clusters.length; i += 1) {
      for (let j = i + 1; j < clusters.length; j += 1) {
        const a = clusters[i] ?? [];
        const b = clusters[j] ?? [];
        let total = 0;
        for (const x of a) for (const y of b) total += sim[x]?.[y] ?? 0;
        const average = total / (a.length * b.length);
        if (average > best) {
          best = average;
          pair = [i, j];
        }
      }
    }
    const [i, j] = pair;
    const merged = [...(clusters[i] ?? []), ...(clusters[j] ?? [])];
    clusters = clusters.filter((_, index) => index !== i && index !== j);
    clusters.push(merged);
  }
  const labels = new Array<number>(n).fill(0);
  clusters
    .map((members) => [...members].sort((a, b) => a - b))
    .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
    .forEach((members, cluster) => {
      for (const m of members) labels[m] = cluster;
    });
  return labels;
}
