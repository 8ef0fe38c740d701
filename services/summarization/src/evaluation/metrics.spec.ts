import { ari, clusteringAccuracy, hungarian, lcsLength, nmi, rougeL, rougeN, setPrf } from './metrics';

describe('evaluation metrics', () => {
  it('ROUGE-1/2 match hand-computed values', () => {
    // candidate "the cat sat on the mat" vs reference "the cat is on the mat": 5 of 6 unigrams.
    expect(rougeN('the cat sat on the mat', 'the cat is on the mat', 1).f1).toBeCloseTo(5 / 6, 10);
    // bigrams: the-cat, on-the, the-mat shared = 3 of 5.
    expect(rougeN('the cat sat on the mat', 'the cat is on the mat', 2).f1).toBeCloseTo(3 / 5, 10);
    expect(rougeN('', 'anything', 1).f1).toBe(0);
  });

  it('ROUGE-L uses the longest common subsequence', () => {
    expect(lcsLength(['a', 'b', 'c', 'd'], ['a', 'c', 'd', 'b'])).toBe(3);
    const r = rougeL('police killed the gunman', 'police kill the gunman');
    expect(r.precision).toBeCloseTo(3 / 4, 10);
    expect(r.f1).toBeCloseTo(3 / 4, 10);
  });

  it('precision and recall of sets', () => {
    const prf = setPrf(new Set([1, 2, 3]), new Set([2, 3, 4, 5]));
    expect(prf.precision).toBeCloseTo(2 / 3, 10);
    expect(prf.recall).toBeCloseTo(0.5, 10);
    expect(prf.f1).toBeCloseTo(4 / 7, 10);
  });

  it('Hungarian finds the minimum-cost assignment', () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    const assignment = hungarian(cost);
    expect(assignment.reduce((s, col, row) => s + (cost[row]?.[col] ?? 0), 0)).toBe(5);
    expect(hungarian([[1, 2, 3]])).toEqual([0]);
  });

  it('clustering accuracy, NMI and ARI match known values', () => {
    const gold = ['a', 'a', 'b', 'b'];
    expect(clusteringAccuracy(['x', 'x', 'y', 'y'], gold)).toBe(1);
    expect(nmi(['x', 'x', 'y', 'y'], gold)).toBeCloseTo(1, 10);
    expect(ari(['x', 'x', 'y', 'y'], gold)).toBeCloseTo(1, 10);
    expect(clusteringAccuracy(['x', 'y', 'x', 'y'], gold)).toBe(0.5);
    expect(nmi(['x', 'y', 'x', 'y'], gold)).toBeCloseTo(0, 10);
    // scikit-learn: adjusted_rand_score([0,0,1,1],[0,1,0,1]) = -0.5
    expect(ari(['x', 'y', 'x', 'y'], gold)).toBeCloseTo(-0.5, 10);
    // scikit-learn: adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242424…
    expect(ari(['0', '0', '1', '1', '2', '2'], ['0', '0', '0', '1', '1', '1'])).toBeCloseTo(0.2424242424, 8);
    // scikit-learn: normalized_mutual_info_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.5158037429
    expect(nmi(['0', '0', '1', '1', '2', '2'], ['0', '0', '0', '1', '1', '1'])).toBeCloseTo(0.5158037429, 8);
  });
});
