import 'reflect-metadata';
import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import * as classValidator from 'class-validator';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CompiledDtoValidation } from './compiled-dto-validation';
import { createValidationPipe, RequestValidationFailed, validationPipeOptions } from './request-validation';

// DTOs with every rule the services' DTOs use, and the shapes around them.
class Identity {
  @IsIn(['email', 'phone']) kind!: string;
  @IsString() @MinLength(1) @MaxLength(5) value!: string;
  @IsOptional() @IsBoolean() verified?: boolean;
}

class Item {
  @IsString() @MaxLength(3) name!: string;
  @IsInt() @Min(0) @Max(10) size!: number;
  @IsOptional() @Matches(/^[a-z]+$/) url?: string;
}

class Sender {
  @IsIn(['customer', 'agent']) kind!: string;
  @IsOptional() @ValidateNested() @Type(() => Identity) identity?: Identity;
}

class Message {
  @IsIn(['chat', 'email']) channel!: string;
  @IsString() @MinLength(1) @MaxLength(8) id!: string;
  @IsOptional() @IsString() thread?: string;
  @IsDefined() @ValidateNested() @Type(() => Sender) sender!: Sender;
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @ValidateNested({ each: true })
  @Type(() => Item)
  items?: Item[];
  @IsOptional() @IsArray() @IsString({ each: true }) @MaxLength(4, { each: true }) tags?: string[];
  @IsISO8601({ strict: true }) sentAt!: string;
  @ValidateIf((m: Message) => m.channel === 'email') @IsString() @MinLength(3) address?: string;
  @IsOptional() @IsObject() extra?: Record<string, unknown>;
  @IsOptional() @IsInt() priority = 3;
}

class FollowUp extends Message {
  @IsOptional() @IsString() @MaxLength(4) note?: string;
}

class Trimmed {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  text!: string;
}

class Undeclared {
  @IsString() name!: string;
  /** Set by the constructor, with no rule: class-validator's whitelist refuses every instance. */
  source = 'api';
}

class Counted {
  @Type(() => Number) @IsInt() count!: number;
}

const valid = (): Record<string, unknown> => ({
  channel: 'chat',
  id: 'm-1',
  thread: 't-1',
  sender: { kind: 'customer', identity: { kind: 'email', value: 'a@b', verified: true } },
  items: [{ name: 'doc', size: 2, url: 'abc' }],
  tags: ['x', 'yy'],
  sentAt: '2026-12-01T04:03:14.916Z',
});

/** A deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  11,
  3.5,
  '',
  'x',
  'abc',
  'email',
  'chat',
  'phone',
  'customer',
  'much too long a value',
  '😀😀😀😀',
  'ab\uFE0F\uFE0F',
  'ABC',
  true,
  'true',
  [],
  ['a'],
  [1, 2],
  ['a', 'b', 'c', 'd', 'e'],
  {},
  { kind: 'email', value: 'v' },
  { name: 'n', size: 1 },
  [{ name: 'n', size: 1 }],
  [{ name: 'n', size: 1 }, 'x'],
  '2026-13-01',
  '2026-12-01',
  '2026-12-01T04:03:14Z',
];
const KEYS = [
  'channel',
  'id',
  'thread',
  'sender',
  'kind',
  'identity',
  'value',
  'verified',
  'items',
  'name',
  'size',
  'url',
  'tags',
  'sentAt',
  'address',
  'extra',
  'priority',
  'note',
  'unknown',
];

/** Every object and array of a body (itself included), to mutate one of them. */
function containers(value: unknown, found: (Record<string, unknown> | unknown[])[] = []) {
  if (value !== null && typeof value === 'object') {
    found.push(value as Record<string, unknown>);
    for (const child of Object.values(value)) containers(child, found);
  }
  return found;
}

/** A valid body with one to three random changes: a value replaced, a key removed or added. */
function mutated(body: Record<string, unknown>, next: () => number): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const changes = 1 + Math.floor(next() * 3);
  for (let i = 0; i < changes; i++) {
    const target = pick(containers(body));
    const roll = next();
    if (Array.isArray(target)) {
      if (roll < 0.3) target.pop();
      else target.push(structuredClone(pick(ODD_VALUES)));
    } else if (roll < 0.25) {
      delete target[pick(Object.keys(target).concat('id'))];
    } else {
      target[pick(KEYS)] = structuredClone(pick(ODD_VALUES));
    }
  }
  return body;
}

/**
 * A valid body the fast path leaves to the libraries by design: an object in a property without
 * `@Type` (class-transformer copies it as a plain object), here `extra`, or `address` when no rule
 * applies to it; an array inside a nested array (class-validator finds nothing to check in it).
 */
const unmodelled = (body: Record<string, unknown>): boolean =>
  ['extra', 'address'].some((key) => {
    const value = body[key];
    return (
      (typeof value === 'object' && value !== null && !Array.isArray(value)) ||
      (Array.isArray(value) && value.some((element) => typeof element === 'object' && element !== null))
    );
  }) ||
  (Array.isArray(body.items) && body.items.some((element) => Array.isArray(element)));

type Class = new (...args: never[]) => object;
const bodyOf = (metatype: Class): ArgumentMetadata => ({ type: 'body', metatype: metatype as never });

async function byTheLibraries(metatype: Class, body: unknown): Promise<{ accepted: unknown } | undefined> {
  const pipe = new ValidationPipe(validationPipeOptions());
  try {
    return { accepted: await pipe.transform(structuredClone(body), bodyOf(metatype)) };
  } catch (error) {
    if (!(error instanceof RequestValidationFailed)) throw error;
    return undefined;
  }
}

describe('CompiledDtoValidation', () => {
  it.each([
    ['a nested DTO', Message, valid],
    ['a DTO inheriting its rules', FollowUp, () => ({ ...valid(), note: 'ok' })],
  ])(
    'accepts exactly the bodies class-transformer and class-validator accept, built into the same instance (%s)',
    async (_name, metatype, sample) => {
      const compiled = new CompiledDtoValidation();
      let accepted = 0;
      let declined = 0;
      let rejected = 0;
      for (let seed = 1; seed <= 1_500; seed++) {
        const body = seed === 1 ? sample() : mutated(sample(), random(seed));
        const fast = compiled.accept(metatype, structuredClone(body));
        const libraries = await byTheLibraries(metatype, body);
        if (libraries && fast === undefined) {
          // Declined, though valid: only a body it does not model (left to the libraries).
          declined += 1;
          expect({ seed, unmodelled: unmodelled(body) }).toEqual({ seed, unmodelled: true });
        } else if (libraries) {
          accepted += 1;
          // Not only the same verdict: the same instance, classes and unset properties included.
          expect({ seed, built: fast }).toStrictEqual({ seed, built: libraries.accepted });
        } else {
          rejected += 1;
          expect({ seed, built: fast }).toEqual({ seed, built: undefined });
        }
      }
      // The generated bodies exercise both verdicts.
      expect(accepted).toBeGreaterThan(100);
      expect(rejected).toBeGreaterThan(500);
      expect(declined).toBeGreaterThan(0);
    },
  );

  it('leaves to the libraries what it does not model, and bodies that are not plain objects', async () => {
    const compiled = new CompiledDtoValidation();
    expect(compiled.accept(Undeclared, { name: 'x' })).toBeUndefined();
    expect(await byTheLibraries(Undeclared, { name: 'x' })).toBeUndefined();
    expect(compiled.accept(Trimmed, { text: ' hi ' })).toBeUndefined();
    expect(compiled.accept(Counted, { count: '3' })).toBeUndefined();
    expect(compiled.accept(Message, [valid()])).toBeUndefined();
    expect(compiled.accept(Message, null)).toBeUndefined();
    expect(compiled.accept(Message, 'text')).toBeUndefined();
    expect(compiled.accept(Message, { ...valid(), extra: { any: 1 } })).toBeUndefined();
    expect(compiled.accept(String, 'text')).toBeUndefined();
  });

  describe('in the platform pipe', () => {
    afterEach(() => jest.restoreAllMocks());

    it('answers a valid body without the libraries, and an invalid one with their errors', async () => {
      const pipe = createValidationPipe();
      const validate = jest.spyOn(classValidator, 'validate');
      const built: unknown = await pipe.transform(valid(), bodyOf(Message));
      expect(built).toBeInstanceOf(Message);
      expect((built as Message).sender).toBeInstanceOf(Sender);
      expect(validate).not.toHaveBeenCalled();

      const invalid = { ...valid(), id: '', unknown: 1 };
      const failure: unknown = await pipe
        .transform(invalid, bodyOf(Message))
        .catch((error: unknown) => error);
      expect(validate).toHaveBeenCalledTimes(1);
      expect(failure).toBeInstanceOf(RequestValidationFailed);
      expect((failure as RequestValidationFailed).errors.map((e) => e.field).sort()).toEqual([
        'id',
        'unknown',
      ]);
    });

    it('still transforms what it leaves to the libraries', async () => {
      const pipe = createValidationPipe();
      await expect(pipe.transform({ text: ' hi ' }, bodyOf(Trimmed))).resolves.toEqual({ text: 'hi' });
      await expect(pipe.transform({ count: '3' }, bodyOf(Counted))).resolves.toEqual({ count: 3 });
      // A query is never taken by the fast path.
      await expect(pipe.transform({ count: '4' }, { type: 'query', metatype: Counted })).resolves.toEqual({
        count: 4,
      });
    });
  });
});
