/** How failed requests inside load functions become SvelteKit's error page. */
import { error } from "@sveltejs/kit";
import { type ErrorCode, RequestFailed } from "./graphql.ts";

/** Every code in the schema's ErrorCode enum: one the server adds fails the check until it is mapped here. */
const STATUS_OF: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  BUDGET_EXCEEDED: 402,
  INTERNAL_SERVER_ERROR: 500,
};

/** A problem as load data: plain, so it survives being passed down to child loads. */
export interface LoadProblem {
  message: string;
  code: ErrorCode | null;
}

/** Shows the error page for `problem`; no code means the server did not answer at all. */
export function showErrorPage(problem: LoadProblem): never {
  error(problem.code ? STATUS_OF[problem.code] : 503, problem.message);
}

/** Runs `load`; a RequestFailed shows the error page, anything else is rethrown. */
export async function orErrorPage<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (problem) {
    if (problem instanceof RequestFailed) showErrorPage(problem);
    throw problem;
  }
}
