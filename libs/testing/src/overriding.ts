/**
 * `target` with some of its members replaced, for a test that needs one method of a real component
 * to behave differently (fail, count its calls): every other member is read from `target` itself,
 * methods bound to it, so the component keeps working as it is.
 */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.prototype.hasOwnProperty.call(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}
