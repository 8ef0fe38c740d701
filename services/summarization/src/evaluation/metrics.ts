// Evaluation metrics implemented here (no scoring library): ROUGE-N / ROUGE-L F1 as in Lin (2004)
// with the common tokenisation (lower-case alphanumerics), precision/recall, Hungarian matching,
// NMI and ARI. Each is unit-tested against hand-computed values.

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

/** ROUGE tokens: lower-cased ASCII alphanumeric runs (as rouge-score's default tokenizer). */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

const f1Of = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i += 1) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N of a candidate against one reference. */
export function rougeN(candidate: string, reference: string, n: number): Prf {
  const c = ngrams(rougeTokens(candidate), n);
  const r = ngrams(rougeTokens(reference), n);
  let overlap = 0;
  for (const [k, v] of c) overlap += Math.min(v, r.get(k) ?? 0);
  const cTotal = [...c.values()].reduce((a, b) => a + b, 0);
  const rTotal = [...r.values()].reduce((a, b) => a + b, 0);
  const precision = cTotal === 0 ? 0 : overlap / cTotal;
  const recall = rTotal === 0 ? 0 : overlap / rTotal;
  return { precision, recall, f1: f1Of(precision, recall) };
}

/** Length of the longest common subsequence of two token lists. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i += 1) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j += 1) {
      current[j] =
        a[i - 1] === b[j - 1] ? (previous[j - 1] ?? 0) + 1 : Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** ROUGE-L (sentence-level LCS) of a candidate against one reference. */
export function rougeL(candidate: string, reference: string): Prf {
  const c = rougeTokens(candidate);
  const r = rougeTokens(reference);
  const lcs = lcsLength(c, r);
  const precision = c.length === 0 ? 0 : lcs / c.length;
  const recall = r.length === 0 ? 0 : lcs / r.length;
  return { precision, recall, f1: f1Of(precision, recall) };
}

/** Mean ROUGE-1/2/L F1 of a candidate over several references. */
export function rougeAgainst(
  candidate: string,
  references: readonly string[],
): { r1: number; r2: number; rl: number } {
  if (references.length === 0) return { r1: 0, r2: 0, rl: 0 };
  const mean = (f: (ref: string) => number): number =>
    references.reduce((s, ref) => s + f(ref), 0) / references.length;
  return {
    r1: mean((ref) => rougeN(candidate, ref, 1).f1),
    r2: mean((ref) => rougeN(candidate, ref, 2).f1),
    rl: mean((ref) => rougeL(candidate, ref).f1),
  };
}

/** Precision / recall / F1 of a predicted set against a gold set. */
export function setPrf<T>(predicted: ReadonlySet<T>, gold: ReadonlySet<T>): Prf {
  let hit = 0;
  for (const p of predicted) if (gold.has(p)) hit += 1;
  const precision = predicted.size === 0 ? 0 : hit / predicted.size;
  const recall = gold.size === 0 ? 0 : hit / gold.size;
  return { precision, recall, f1: f1Of(precision, recall) };
}

/**
 * Minimum-cost assignment (Hungarian algorithm, O(n³)) of a rectangular cost matrix: returns for each
 * row the column assigned (−1 when there are more rows than columns).
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const rows = cost.length;
  const cols = cost[0]?.length ?? 0;
  const n = Math.max(rows, cols);
  const at = (i: number, j: number): number => (i < rows && j < cols ? (cost[i]?.[j] ?? 0) : 0);
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(n + 1).fill(0);
  const p = new Array<number>(n + 1).fill(0);
  const way = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= n; i += 1) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(n + 1).fill(Infinity);
    const used = new Array<boolean>(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0] ?? 0;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j += 1) {
        if (used[j]) continue;
        const cur = at(i0 - 1, j - 1) - (u[i0] ?? 0) - (v[j] ?? 0);
        if (cur < (minv[j] ?? Infinity)) {
          minv[j] = cur;
          way[j] = j0;
        }
        if ((minv[j] ?? Infinity) < delta) {
          delta = minv[j] ?? Infinity;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j += 1) {
        if (used[j]) {
          const pj = p[j] ?? 0;
          u[pj] = (u[pj] ?? 0) + delta;
          v[j] = (v[j] ?? 0) - delta;
        } else minv[j] = (minv[j] ?? Infinity) - delta;
      }
      j0 = j1;
    } while ((p[j0] ?? 0) !== 0);
    do {
      const j1 = way[j0] ?? 0;
      p[j0] = p[j1] ?? 0;
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= n; j += 1) {
    const i = (p[j] ?? 0) - 1;
    if (i >= 0 && i < rows && j - 1 < cols) assignment[i] = j - 1;
  }
  return assignment;
}

function contingency(predicted: readonly string[], gold: readonly string[]) {
  const pLabels = [...new Set(predicted)];
  const gLabels = [...new Set(gold)];
  const table = pLabels.map(() => new Array<number>(gLabels.length).fill(0));
  predicted.forEach((p, i) => {
    const row = table[pLabels.indexOf(p)];
    const col = gLabels.indexOf(gold[i] ?? '');
    if (row && col >= 0) row[col] = (row[col] ?? 0) + 1;
  });
  return { table, pLabels, gLabels };
}

/** Clustering accuracy: the best one-to-one mapping of clusters to gold labels (Hungarian). */
export function clusteringAccuracy(predicted: readonly string[], gold: readonly string[]): number {
  if (predicted.length === 0) return 0;
  const { table } = contingency(predicted, gold);
  const max = Math.max(0, ...table.flat());
  const assignment = hungarian(table.map((row) => row.map((c) => max - c)));
  let matched = 0;
  assignment.forEach((col, row) => {
    if (col >= 0) matched += table[row]?.[col] ?? 0;
  });
  return matched / predicted.length;
}

/** Normalised mutual information (arithmetic-mean normalisation, as scikit-learn's default). */
export function nmi(predicted: readonly string[], gold: readonly string[]): number {
  const n = predicted.length;
  if (n === 0) return 0;
  const { table } = contingency(predicted, gold);
  const rowSums = table.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = (table[0] ?? []).map((_, j) => table.reduce((s, r) => s + (r[j] ?? 0), 0));
  const entropy = (sums: number[]): number =>
    -sums.reduce((h, s) => (s === 0 ? h : h + (s / n) * Math.log(s / n)), 0);
  let mi = 0;
  table.forEach((row, i) =>
    row.forEach((c, j) => {
      if (c > 0) mi += (c / n) * Math.log((n * c) / ((rowSums[i] ?? 1) * (colSums[j] ?? 1)));
    }),
  );
  const hp = entropy(rowSums);
  const hg = entropy(colSums);
  if (hp === 0 && hg === 0) return 1;
  const denominator = (hp + hg) / 2;
  return denominator === 0 ? 0 : mi / denominator;
}

/** Adjusted Rand index (Hubert & Arabie). */
export function ari(predicted: readonly string[], gold: readonly string[]): number {
  const n = predicted.length;
  if (n < 2) return 1;
  const { table } = contingency(predicted, gold);
  const choose2 = (x: number): number => (x * (x - 1)) / 2;
  const rowSums = table.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = (table[0] ?? []).map((_, j) => table.reduce((s, r) => s + (r[j] ?? 0), 0));
  const index = table.flat().reduce((s, c) => s + choose2(c), 0);
  const a = rowSums.reduce((s, c) => s + choose2(c), 0);
  const b = colSums.reduce((s, c) => s + choose2(c), 0);
  const expected = (a * b) / choose2(n);
  const max = (a + b) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
