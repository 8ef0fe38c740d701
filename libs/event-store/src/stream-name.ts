import { InvalidStreamName } from './errors';

const CATEGORY = /^[A-Za-z][A-Za-z0-9_]*$/;
const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
const MAX_STREAM_NAME_LENGTH = 255;

/**
 * Checks `<category>-<id>`: the category is the text before the first '-' (a letter, then letters,
 * digits or '_'); the id is non-empty (letters, digits and `_ . : @ -`); at most 255 characters.
 * @returns the category
 * @throws InvalidStreamName
 */
export function assertStreamName(stream: unknown): string {
  if (typeof stream !== 'string') throw new InvalidStreamName(String(stream), 'not a string');
  if (stream.length > MAX_STREAM_NAME_LENGTH) {
    throw new InvalidStreamName(stream, `longer than ${MAX_STREAM_NAME_LENGTH} characters`);
  }
  const dash = stream.indexOf('-');
  if (dash < 0) throw new InvalidStreamName(stream, 'expected <category>-<id>');
  const category = stream.slice(0, dash);
  if (!CATEGORY.test(category)) {
    throw new InvalidStreamName(
      stream,
      'the category must start with a letter and hold letters, digits or _',
    );
  }
  if (!STREAM_ID.test(stream.slice(dash + 1))) {
    throw new InvalidStreamName(stream, 'the id must be non-empty: letters, digits and _ . : @ -');
  }
  return category;
}

/** @throws InvalidStreamName when `category` could not be the category of a stream. */
export function assertCategory(category: unknown): string {
  if (typeof category !== 'string' || !CATEGORY.test(category)) {
    throw new InvalidStreamName(String(category), 'not a valid category');
  }
  return category;
}

/** The category of a valid stream name. */
export function categoryOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
}
