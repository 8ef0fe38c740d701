import { overriding } from './overriding';

class Counter {
  private count = 0;
  increment(): number {
    this.count += 1;
    return this.count;
  }
  twice(): number {
    this.increment();
    return this.increment();
  }
  get current(): number {
    return this.count;
  }
}

describe('overriding', () => {
  it('replaces the given members and reads every other one from the target, methods bound to it', () => {
    const counter = new Counter();
    const calls: string[] = [];
    const wrapped = overriding(counter, {
      twice: () => {
        calls.push('twice');
        return counter.twice();
      },
    });
    expect(wrapped.increment()).toBe(1);
    expect(wrapped.twice()).toBe(3);
    expect(calls).toEqual(['twice']);
    expect(wrapped.current).toBe(3);
    expect(counter.current).toBe(3);
  });
});
