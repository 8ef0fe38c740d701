/** One invalid field of a request (problem member `errors`). */
export interface FieldError {
  /** Dotted path of the field, e.g. `text` or `items.0.sku`. */
  field: string;
  /** JSON Pointer into the request body (RFC 6901), e.g. `/items/0/sku`. */
  pointer: string;
  /** What is wrong, readable. */
  detail: string;
  /** The failed class-validator constraints, e.g. `["isString", "maxLength"]`. */
  constraints: string[];
}

/** An RFC 9457 problem details document, with this platform's `code` extension. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  /** Stable machine-readable code; the last segment of `type`. */
  code: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** The media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Default prefix of problem `type` URIs: a URN, because nothing is served at those addresses. */
export const DEFAULT_PROBLEM_TYPE_BASE = 'urn:handoff:problem:';

/** The `type` URI of a code. */
export function problemType(code: string, base = DEFAULT_PROBLEM_TYPE_BASE): string {
  return `${base}${code}`;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The standard reason phrase of a status, used as the problem `title`. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** A kebab-case code for a status when nothing more specific is known, e.g. 405 → `method-not-allowed`. */
export function statusCode(status: number): string {
  return statusTitle(status)
    .toLowerCase()
    .replace(/[^a-z]+/g, '-');
}
