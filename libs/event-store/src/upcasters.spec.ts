import { UpcastFailed } from './errors';
import { UpcasterRegistry } from './upcasters';

const stored = (schemaVersion: number, data: unknown) => ({
  type: 'NoteAdded',
  schemaVersion,
  data,
  metadata: {},
});

describe('UpcasterRegistry', () => {
  const registry = new UpcasterRegistry()
    .register('NoteAdded', 1, (data) => ({ text: (data as { body: string }).body }))
    .register('NoteAdded', 2, (data) => ({ ...(data as object), language: 'en' }));

  it('applies the chain up to the current version', () => {
    expect(registry.currentVersion('NoteAdded')).toBe(3);
    expect(registry.upcast(stored(1, { body: 'x' }))).toMatchObject({
      schemaVersion: 3,
      data: { text: 'x', language: 'en' },
    });
    expect(registry.upcast(stored(2, { text: 'y' }))).toMatchObject({
      schemaVersion: 3,
      data: { text: 'y', language: 'en' },
    });
  });

  it('leaves current events and unknown types alone', () => {
    const current = stored(3, { text: 'z', language: 'fr' });
    expect(registry.upcast(current)).toBe(current);
    expect(registry.currentVersion('Other')).toBeUndefined();
  });

  it('fails clearly on a missing step, a throwing upcaster or a duplicate registration', () => {
    const gappy = new UpcasterRegistry().register('NoteAdded', 2, (d) => d);
    expect(() => gappy.upcast(stored(1, {}))).toThrow(UpcastFailed);
    const throwing = new UpcasterRegistry().register('NoteAdded', 1, () => {
      throw new Error('boom');
    });
    expect(() => throwing.upcast(stored(1, {}))).toThrow(UpcastFailed);
    expect(() => registry.register('NoteAdded', 1, (d) => d)).toThrow(/already registered/);
  });
});
