/**
 * The one GraphQL client of the web UI, and how its errors become words on the page.
 *
 * The server answers same-origin requests only and wants the CSRF header on every
 * one of them (server/src/graphql/yoga.ts); the session lives in an HttpOnly cookie
 * the browser sends by itself.
 */
import { Client, type CombinedError, fetchExchange, type OperationResult } from "@urql/core";
import type { ErrorCode } from "./gql/enums.ts";

/** Any value will do: a cross-site form or simple request cannot set a custom header. */
const CSRF_HEADER = "x-aiui-csrf";

/**
 * fetch, with streamed (SSE) answers wrapped so that stopping one stays quiet: urql
 * cancels the body's reader in a `finally` without catching, and after the abort that
 * unsubscribing does, that cancel rejects with an unhandled "signal is aborted".
 */
async function fetchQuietlyAborted(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (!response.body || !response.headers.get("content-type")?.includes("text/event-stream")) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        // Stopped on purpose: an end like any other. Anything else is a real failure.
        if (init?.signal?.aborted) controller.close();
        else controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason).catch(() => {}),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

export const client = new Client({
  url: "/graphql",
  fetch: fetchQuietlyAborted,
  // No document cache: pages load what they show when they open, and mutations are few,
  // so there is nothing stale to invalidate by hand.
  exchanges: [fetchExchange],
  fetchOptions: () => ({ credentials: "same-origin", headers: { [CSRF_HEADER]: "1" } }),
  // POST even for queries: answers are per user (by cookie), so there is nothing for
  // an HTTP cache to share, and queries stay out of URLs and access logs.
  preferGetMethod: false,
  // Subscriptions (streamed replies, later) go over the same fetch as SSE.
  fetchSubscriptions: true,
});

/**
 * Documents are written with `graphql()` from ./gql (GraphQL Code Generator, web/codegen.ts):
 * typed from schema.graphql, so a query that no longer fits the server fails the check.
 * The codes the server puts in `extensions.code` are the schema's ErrorCode enum.
 */
export type { ErrorCode };

/** What went wrong, sorted for display: next to a named field, or above the form. */
export interface Problems {
  /** Messages keyed by the input field they are about (`extensions.field`). */
  fields: Record<string, string>;
  /** Messages about the whole request, joined; null when there are none. */
  general: string | null;
  /** The first error code, to react to (e.g. UNAUTHENTICATED after a session expired). */
  code: ErrorCode | null;
}

export const NO_PROBLEMS: Problems = { fields: {}, general: null, code: null };

const UNREACHABLE = "The server could not be reached. Check that it is running and try again.";

export function problemsOf(error: CombinedError | undefined): Problems {
  if (!error) return NO_PROBLEMS;
  if (error.networkError && error.graphQLErrors.length === 0) {
    return { fields: {}, general: UNREACHABLE, code: null };
  }
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const graphQLError of error.graphQLErrors) {
    // Several wrong fields come in one error, each with its own sentence (extensions.fields).
    const each = graphQLError.extensions?.fields;
    if (each && typeof each === "object") {
      for (const [name, message] of Object.entries(each as Record<string, unknown>)) if (typeof message === "string") fields[name] ??= message;
      continue;
    }
    const field = graphQLError.extensions?.field;
    if (typeof field === "string" && !(field in fields)) fields[field] = graphQLError.message;
    else general.push(graphQLError.message);
  }
  const code = (error.graphQLErrors[0]?.extensions?.code as ErrorCode | undefined) ?? null;
  return { fields, general: general.length ? general.join(" ") : null, code };
}

/**
 * The data of a result a page cannot do without, or a thrown Error carrying the
 * problem's message and code (for load functions to turn into an error page).
 */
export function dataOf<Data>(result: OperationResult<Data>): Data {
  if (result.data && !result.error) return result.data;
  const problems = problemsOf(result.error);
  throw new RequestFailed(
    problems.general ?? Object.values(problems.fields)[0] ?? "The server sent an empty answer.",
    problems.code,
  );
}

export class RequestFailed extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode | null,
  ) {
    super(message);
    this.name = "RequestFailed";
  }
}
