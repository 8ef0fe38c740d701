import { analyseMessage, instantMs } from './message-analysis';

describe('message analysis', () => {
  it('reads instants as Date.parse does, quickly for the toISOString form', () => {
    const samples = [
      '2026-01-10T09:00:45.123Z',
      '2026-01-10T09:00:45Z',
      '2024-02-29T23:59:59.999Z',
      '2026-02-30T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '1600-03-01T12:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-32T00:00:00.000Z',
      '2026-01-01T23:60:00Z',
      '2026-00-10T00:00:00Z',
      '0099-01-01T00:00:00Z',
      '2026-01-10T09:00:45.1Z',
      '2026-01-10T09:00:45+01:00',
      '2026-01-10',
      '2026-0x-10T09:00:45.000Z',
      'not a date at all, 24 chars',
      '',
    ];
    for (const sample of samples) expect(instantMs(sample)).toEqual(Date.parse(sample));
    for (let ms = -4e12; ms < 4e12; ms += 7_777_777_777) {
      const iso = new Date(ms).toISOString();
      expect(instantMs(iso)).toBe(ms);
    }
  });

  it('leaves the language to the caller when asked not to identify it', () => {
    const message = {
      id: 'm1',
      sequence: 1,
      sender: 'customer' as const,
      text: 'Mi pedido no ha llegado y estoy esperando una respuesta.',
      sentAt: '2026-01-10T09:00:00.000Z',
    };
    const full = analyseMessage(message);
    const lean = analyseMessage(message, { detectLanguage: false });
    expect(full.language).toBe('es');
    expect(full.letters).toBeGreaterThan(40);
    expect(lean).toEqual({ ...full, language: 'und', letters: 0 });
  });
});
