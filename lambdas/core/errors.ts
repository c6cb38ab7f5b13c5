/** One violation of a rule or of a schema, pointing at what is wrong. */
export interface Violation {
  /** Where: a field path such as `lines[1].amount`, or a line index for charge checks. */
  path: string;
  rule: string;
  message: string;
  line?: number;
  /** A value of the field that this rule would accept, where there is one to offer (a date). */
  suggestion?: string;
}

/** Error codes are part of the API: clients switch on them. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'charge_rejected'
  | 'unprocessable'
  | 'rate_limited'
  | 'service_unavailable'
  | 'internal_error';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  charge_rejected: 422,
  unprocessable: 422,
  rate_limited: 429,
  service_unavailable: 503,
  internal_error: 500,
};

/** An error a client can act on; the HTTP layer turns it into `{ error, message, details }`. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Violation[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = STATUS[code];
  }
}

export const badRequest = (message: string, details: Violation[] = []) =>
  new AppError('bad_request', message, details);
export const notFound = (message: string) => new AppError('not_found', message);
export const conflict = (message: string, details: Violation[] = []) =>
  new AppError('conflict', message, details);
