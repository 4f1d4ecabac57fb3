/**
 * Errors a user can act on. Services throw these; the GraphQL layer turns them into
 * coded errors (extensions.code) and REST routes into status codes. Anything else is
 * an internal error and is masked before it reaches a client.
 */
export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "RATE_LIMITED",
  "CONFLICT",
  // The database does not answer (down, too slow, full, read-only): nothing the user did wrong.
  "UNAVAILABLE",
  // A monthly budget is spent: the request was refused before any provider was called.
  "BUDGET_EXCEEDED",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The code of every other error, once masked (maskError in graphql/yoga.ts); HTTP 500. */
export const INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** Every field that is wrong, with its own sentence (a form shows them all at once); `field` is the first. */
    readonly fields?: Readonly<Record<string, string>>,
    /** More for the client, as `extensions` entries (BUDGET_EXCEEDED: `budget`, its figures). */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** What users are told while the database does not answer; the cause goes to the log only. */
export const DATABASE_UNAVAILABLE_MESSAGE = "The database is not answering; try again in a moment.";

/** The database could not serve a request. `reason` is for the log (one line), never for the client. */
export class DatabaseUnavailable extends AppError {
  constructor(readonly reason: string) {
    super("UNAVAILABLE", DATABASE_UNAVAILABLE_MESSAGE);
    this.name = "DatabaseUnavailable";
  }
}

/** Too many failed attempts from one client: RATE_LIMITED, with how long to wait (HTTP Retry-After). */
export class RateLimited extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("RATE_LIMITED", message);
    this.name = "RateLimited";
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} was not found.`);
export const unauthenticated = () => new AppError("UNAUTHENTICATED", "Sign in to continue.");
export const invalidInput = (field: string, message: string) => new AppError("BAD_USER_INPUT", message, field);
/** Several wrong fields at once: the message lists every sentence; `extensions.fields` has them by field. */
export function invalidFields(fields: Readonly<Record<string, string>>): AppError {
  const entries = Object.entries(fields);
  if (entries.length === 1) return new AppError("BAD_USER_INPUT", entries[0]![1], entries[0]![0], fields);
  return new AppError("BAD_USER_INPUT", entries.map(([, message]) => message).join(" "), entries[0]?.[0], fields);
}

export const httpStatusOf: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  // Payment Required: the nearest HTTP has to "the money set aside for this is spent".
  BUDGET_EXCEEDED: 402,
};
