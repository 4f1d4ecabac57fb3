/**
 * Errors a user can act on. Services throw these; the GraphQL layer turns them into
 * coded errors (extensions.code) and REST routes into status codes. Anything else is
 * an internal error and is masked before it reaches a client.
 */
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "RATE_LIMITED"
  | "CONFLICT";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} was not found.`);
export const unauthenticated = () => new AppError("UNAUTHENTICATED", "Sign in to continue.");
export const invalidInput = (field: string, message: string) => new AppError("BAD_USER_INPUT", message, field);

export const httpStatusOf: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  RATE_LIMITED: 429,
  CONFLICT: 409,
};
