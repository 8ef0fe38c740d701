import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';

type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/**
 * The subset of class-transformer's metadata storage read here (its module `storage`, which the
 * package does not export from its index).
 */
interface TransformerMetadataStorage {
  findTypeMetadata(target: Class, propertyName: string): TypeMetadata | undefined;
  findTransformMetadatas(target: Class, propertyName: string, transformationType: number): unknown[];
  getExposedMetadatas(target: Class): unknown[];
  getExcludedMetadatas(target: Class): unknown[];
  getStrategy(target: Class): 'excludeAll' | 'exposeAll' | 'none';
}

type TransformerStorageModule = { defaultMetadataStorage: TransformerMetadataStorage };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const transformerModule = require('class-transformer/cjs/storage') as TransformerStorageModule;
const transformerStorage = transformerModule.defaultMetadataStorage;
/** class-transformer's `TransformationType.PLAIN_TO_CLASS`. */
const PLAIN_TO_CLASS = 0;

/** A DTO class (or any other constructor a pipe is given). */
type Class = abstract new (...args: never[]) => unknown;
type Constructor = new () => object;

/** A property's `@Type`. */
interface TypeMetadata {
  typeFunction?: (options: unknown) => unknown;
  reflectedType?: unknown;
  options?: { discriminator?: unknown };
}

/** A synchronous constraint of one property, as class-validator runs it. */
interface Check {
  metadata: ValidationMetadata;
  validate: (value: unknown, args: ValidationArguments) => unknown;
}

interface PropertyPlan {
  name: string;
  /** `@IsOptional`, `@ValidateIf`: all true, or the property is not validated. */
  conditions: ((object: object, value: unknown) => boolean)[];
  /** `@IsDefined`, then every other constraint, in class-validator's order. */
  checks: Check[];
  nested: boolean;
}

/** What class-validator and class-transformer would do with one DTO class, decided once. */
interface ClassPlan {
  target: Constructor;
  /** The properties with validation metadata (the whitelist), each with its `@Type` if any. */
  allowed: ReadonlyMap<string, TypeMetadata | undefined>;
  properties: PropertyPlan[];
}

/** Types class-transformer converts a value to instead of building an instance of them. */
const CONVERTED_TYPES: readonly unknown[] = [String, Number, Boolean, Date, Buffer, Map, Set, Array, Object];

/** An object as JSON parsing makes it (in any realm), or one without a prototype. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * The valid request body's fast path of the platform's validation pipe: a DTO instance built and
 * checked exactly as class-transformer's `plainToInstance` and class-validator's `validate` do
 * with the pipe's options (whitelist, forbidNonWhitelisted, transform, no groups), from each
 * class's metadata read once, without what both libraries do per call to be general (metadata
 * searches across every class, grouping, a validation error object per property, the executor's
 * promises).
 *
 * It only ever accepts: it answers `undefined` for a body that breaks a rule, and for anything it
 * does not model (a class with `@Transform`, `@Expose`, `@Exclude`, a discriminator, a converting
 * `@Type(() => Number)`, asynchronous or promise validation, an unknown key, a value that is not
 * plain JSON). The pipe then runs the libraries themselves, which produce the errors. So an error
 * response is always the libraries' own, and a body accepted here is one they accept, built into
 * the same instance (the specs compare both on generated bodies).
 */
export class CompiledDtoValidation {
  private readonly plans = new WeakMap<Class, ClassPlan | null>();

  /** The DTO instance of a valid plain body, or undefined (invalid, or not modelled). */
  accept(target: Class, body: unknown): object | undefined {
    const plan = this.planOf(target);
    if (!plan || !isPlainObject(body)) return undefined;
    const entity = this.build(plan, body);
    if (entity === undefined || !this.valid(plan, entity)) return undefined;
    return entity;
  }

  private planOf(target: Class): ClassPlan | null {
    let plan = this.plans.get(target);
    if (plan === undefined) {
      plan = compile(target);
      this.plans.set(target, plan);
    }
    return plan;
  }

  /** class-transformer's plain → class copy, for the shapes modelled; undefined otherwise. */
  private build(plan: ClassPlan, body: Record<string, unknown>): object | undefined {
    const entity = new plan.target() as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      // Whitelisted keys only (class-validator would reject any other): no `__proto__` either.
      if (!plan.allowed.has(key)) return undefined;
      const value = body[key];
      const type = plan.allowed.get(key);
      let copied: unknown;
      if (type) {
        const nestedType = type.typeFunction?.({ newObject: entity, object: body, property: key });
        const nested = typeof nestedType === 'function' ? this.planOf(nestedType as Class) : null;
        if (!nested) return undefined;
        copied = this.buildNested(nested, value);
      } else {
        copied = copyUntyped(value);
      }
      if (copied === undefined) return undefined;
      entity[key] = copied;
    }
    return entity;
  }

  /** A `@Type` property's value: an instance, an array of instances, or a primitive left as it is. */
  private buildNested(plan: ClassPlan, value: unknown): unknown {
    if (Array.isArray(value)) {
      const built: object[] = [];
      for (const element of value) {
        if (!isPlainObject(element)) return undefined;
        const instance = this.build(plan, element);
        if (instance === undefined) return undefined;
        built.push(instance);
      }
      return built;
    }
    if (isPlainObject(value)) return this.build(plan, value);
    return isPrimitive(value) ? value : undefined;
  }

  /**
   * class-validator's `execute` of one instance built by {@link build}, to its first failure. Its
   * whitelist holds by construction: {@link build} copies allowed keys only, and {@link compile}
   * refuses a class whose constructor sets any other.
   */
  private valid(plan: ClassPlan, entity: object): boolean {
    const object = entity as Record<string, unknown>;
    for (const property of plan.properties) {
      const value = object[property.name];
      // Every condition is evaluated, as class-validator does.
      let validated = true;
      for (const condition of property.conditions) validated = condition(entity, value) && validated;
      if (!validated) continue;
      for (const check of property.checks) if (!passes(check, entity, value)) return false;
      if (property.nested && !this.nestedValid(value)) return false;
    }
    return true;
  }

  /** class-validator's nested validation of a value (an element of an array of them, too). */
  private nestedValid(value: unknown): boolean {
    if (value === undefined) return true;
    if (Array.isArray(value) || value instanceof Set || value instanceof Map)
      return elementsOf(value).every((element) => this.nestedValid(element));
    if (!(value instanceof Object)) return false;
    const plan = this.planOf(value.constructor as Class);
    return plan !== null && this.valid(plan, value);
  }
}

const isPrimitive = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** A property without `@Type`: primitives, and arrays of them, are copied as they are. */
function copyUntyped(value: unknown): unknown {
  if (isPrimitive(value)) return value;
  if (Array.isArray(value) && value.every(isPrimitive)) return value.slice();
  return undefined;
}

/** One constraint on a value, `each` included: true only when it holds (a promise does not). */
function passes(check: Check, object: object, value: unknown): boolean {
  const args: ValidationArguments = {
    targetName: object.constructor.name,
    property: check.metadata.propertyName,
    object,
    value,
    constraints: check.metadata.constraints as unknown[],
  };
  if (check.metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map))
    return elementsOf(value).every((element) => isTruthy(check.validate(element, args)));
  return isTruthy(check.validate(value, args));
}

/** The elements class-validator validates one by one: an array's, a set's, a map's values. */
const elementsOf = (value: unknown[] | Set<unknown> | Map<unknown, unknown>): unknown[] =>
  value instanceof Map ? [...value.values()] : [...value];

/** A validator's answer as class-validator reads it; a promise never counts (the libraries decide). */
const isTruthy = (answer: unknown): boolean =>
  !!answer && !(typeof (answer as { then?: unknown }).then === 'function');

/** The plan of one class, or null when something about it is not modelled. */
function compile(target: Class): ClassPlan | null {
  if (CONVERTED_TYPES.includes(target) || typeof target.prototype !== 'object') return null;
  const storage = getMetadataStorage();
  // The same query class-validator's executor makes for a validation without groups.
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
  if (metadatas.length === 0) return null;
  if (transformerStorage.getStrategy(target) !== 'none') return null;
  if (transformerStorage.getExposedMetadatas(target).length > 0) return null;
  if (transformerStorage.getExcludedMetadatas(target).length > 0) return null;
  let sample: Record<string, unknown>;
  try {
    sample = new (target as Constructor)() as Record<string, unknown>;
  } catch {
    return null;
  }
  const grouped = new Map<string, ValidationMetadata[]>();
  for (const metadata of metadatas) {
    const list = grouped.get(metadata.propertyName) ?? [];
    list.push(metadata);
    grouped.set(metadata.propertyName, list);
  }
  const properties: PropertyPlan[] = [];
  const allowed = new Map<string, TypeMetadata | undefined>();
  for (const [name, list] of grouped) {
    // class-transformer skips a key the class has as a method or accessor; not modelled.
    if (Object.getOwnPropertyDescriptor(target.prototype as object, name) || sample[name] instanceof Function)
      return null;
    if (transformerStorage.findTransformMetadatas(target, name, PLAIN_TO_CLASS).length > 0) return null;
    const type = transformerStorage.findTypeMetadata(target, name);
    // A discriminator picks the type per value; a Set or Map property is built as one.
    if (type?.options?.discriminator || type?.reflectedType === Set || type?.reflectedType === Map)
      return null;
    allowed.set(name, type);
    const property: PropertyPlan = { name, conditions: [], checks: [], nested: false };
    const defined: Check[] = [];
    for (const metadata of list) {
      switch (metadata.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          property.conditions.push(metadata.constraints[0] as PropertyPlan['conditions'][number]);
          break;
        case ValidationTypes.NESTED_VALIDATION:
          property.nested = true;
          break;
        case ValidationTypes.IS_DEFINED:
        case ValidationTypes.CUSTOM_VALIDATION: {
          const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls);
          for (const constraint of constraints) {
            if (constraint.async) return null;
            const instance = constraint.instance as { validate: Check['validate'] };
            const check: Check = { metadata, validate: instance.validate.bind(instance) };
            (metadata.type === ValidationTypes.IS_DEFINED ? defined : property.checks).push(check);
          }
          break;
        }
        default:
          // Promise validation, `@Allow`: not modelled.
          return null;
      }
    }
    property.checks.unshift(...defined);
    properties.push(property);
  }
  // A key the constructor sets without any rule would fail class-validator's whitelist every time.
  if (Object.keys(sample).some((key) => !allowed.has(key))) return null;
  return { target: target as Constructor, allowed, properties };
}
