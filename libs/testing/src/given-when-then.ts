/**
 * The shape of a pure decider (see STYLE.md): `decide` turns a command and the current state into
 * new events, `evolve` folds one event into the state. Declared structurally so that this library
 * depends on no other.
 */
export interface DeciderLike<Command, State, Event> {
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface WhenStep<Event> {
  /** The command emits exactly these events, in this order (deep equality). */
  then(expected: Event[]): void;
  /** The command emits nothing. */
  thenNothingHappens(): void;
  /** The command is rejected with this error class, and optionally a matching check of the error. */
  thenThrows<E extends Error>(
    errorClass: abstract new (...args: never[]) => E,
    check?: (error: E) => void,
  ): void;
}

/**
 * Given/when/then specs for deciders:
 * `spec.given([ownerAssigned('a1')]).when(transfer({ to: 'a1' })).thenThrows(AlreadyOwner)`.
 */
export function deciderSpec<Command, State, Event>(decider: DeciderLike<Command, State, Event>) {
  return {
    given(events: Event[]) {
      return {
        when(command: Command): WhenStep<Event> {
          const run = () => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
          return {
            then: (expected) => expect(run()).toEqual(expected),
            thenNothingHappens: () => expect(run()).toEqual([]),
            thenThrows: (errorClass, check) => {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              if (!(thrown instanceof (errorClass as ErrorClass))) {
                throw new Error(
                  `expected the command to throw ${errorClass.name}, but it ${
                    thrown === undefined ? 'succeeded' : `threw ${describe(thrown)}`
                  }`,
                );
              }
              check?.(thrown as never);
            },
          };
        },
      };
    },
  };
}

const describe = (thrown: unknown): string =>
  thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : JSON.stringify(thrown);
