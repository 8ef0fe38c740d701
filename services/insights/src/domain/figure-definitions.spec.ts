import { dimensionOf, rate, timeWindow } from './figure-definitions';

const now = new Date('2026-03-31T00:00:00.000Z');

describe('figure definitions', () => {
  it('defaults the window to the 30 days before now', () => {
    expect(timeWindow(undefined, undefined, now)).toEqual({
      ok: true,
      value: { from: new Date('2026-03-01T00:00:00.000Z'), to: now },
    });
  });

  it('refuses malformed, inverted and too long windows', () => {
    expect(timeWindow('yesterday', undefined, now)).toMatchObject({ ok: false, code: 'invalid-window' });
    expect(timeWindow('2026-03-02T00:00:00Z', '2026-03-01T00:00:00Z', now)).toMatchObject({
      ok: false,
      code: 'invalid-window',
    });
    expect(timeWindow('2024-01-01T00:00:00Z', '2026-01-01T00:00:00Z', now)).toMatchObject({
      ok: false,
      detail: 'the window may span at most 400 days',
    });
  });

  it('knows which dimensions each figure has', () => {
    expect(dimensionOf('repeats', 'edge')).toEqual({ ok: true, value: 'edge' });
    expect(dimensionOf('repeats', undefined)).toEqual({ ok: true, value: undefined });
    expect(dimensionOf('csat', 'edge')).toMatchObject({ ok: false, code: 'unknown-dimension' });
    expect(dimensionOf('repeats', 'planet')).toMatchObject({ ok: false, code: 'unknown-dimension' });
  });

  it('rounds rates and has none without a denominator', () => {
    expect(rate(1, 3)).toBe(0.3333);
    expect(rate(0, 0)).toBeNull();
  });
});
