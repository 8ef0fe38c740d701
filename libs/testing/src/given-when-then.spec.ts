import { deciderSpec } from './given-when-then';

// A tiny counter decider exercises the helper itself, including the failure paths.
type Command = { type: 'Add'; by: number } | { type: 'Reset' };
type Event = { type: 'Added'; by: number } | { type: 'WasReset' };
class CannotAddZero extends Error {}
const counter = {
  initialState: () => 0,
  evolve: (state: number, event: Event) => (event.type === 'Added' ? state + event.by : 0),
  decide: (command: Command, state: number): Event[] => {
    if (command.type === 'Reset') return state === 0 ? [] : [{ type: 'WasReset' }];
    if (command.by === 0) throw new CannotAddZero('cannot add zero');
    return [{ type: 'Added', by: command.by }];
  },
};
const spec = deciderSpec(counter);

describe('deciderSpec', () => {
  it('folds the given events before deciding', () =>
    spec
      .given([{ type: 'Added', by: 2 }])
      .when({ type: 'Reset' })
      .then([{ type: 'WasReset' }]));

  it('passes thenNothingHappens when no event is emitted', () =>
    spec.given([]).when({ type: 'Reset' }).thenNothingHappens());

  it('passes thenThrows for the expected error class and runs the check', () => {
    const seen: string[] = [];
    spec
      .given([])
      .when({ type: 'Add', by: 0 })
      .thenThrows(CannotAddZero, (e) => seen.push(e.message));
    expect(seen).toEqual(['cannot add zero']);
  });

  it('fails thenThrows when the command succeeds', () =>
    expect(() => spec.given([]).when({ type: 'Add', by: 1 }).thenThrows(CannotAddZero)).toThrow(
      /expected the command to throw CannotAddZero, but it succeeded/,
    ));

  it('fails then() when the events differ', () =>
    expect(() =>
      spec
        .given([])
        .when({ type: 'Add', by: 1 })
        .then([{ type: 'Added', by: 2 }]),
    ).toThrow());
});
