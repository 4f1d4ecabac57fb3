/**
 * graphql-yoga serving the Pothos schema at /graphql: session cookie or access token
 * (`Authorization: Bearer`, scope graphql) in, coded and masked errors out, CSRF prevention
 * for cookie requests, GraphiQL only where configured.
 */
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import { PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { bearerToken, readCookie, SESSION_COOKIE } from "../accounts/index.ts";
import { AppError, httpStatusOf, RateLimited } from "../errors.ts";
import type { AppServices, GraphQLContext } from "./context.ts";
import { graphqlBodyLimit } from "./body-limit.ts";
import { storableTextOnly } from "./input-text.ts";
import { queryLimits } from "./limits.ts";
import { directReplyEvents } from "./reply-stream.ts";
import { schema } from "./schema.ts";

/** Browsers must send this header (any value) with every GraphQL request; see useCSRFPrevention. */
export const CSRF_HEADER = "x-aiui-csrf";

export interface ServerContext {
  clientAddress?: string;
}

function sessionCookie(value: string, expiresAt: Date, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

/** Maps our errors to coded GraphQL errors; masks everything else (no internals to clients). */
function maskError(error: unknown): Error {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      extensions: {
        code: original.code,
        ...(original.field ? { field: original.field } : {}),
        ...(original.fields && Object.keys(original.fields).length > 1 ? { fields: original.fields } : {}),
        ...original.details,
      },
      path: error instanceof GraphQLError ? error.path : undefined,
    });
  }
  // Pagination arguments Pothos refuses (negative sizes, before with after).
  if (original instanceof PothosValidationError) {
    return new GraphQLError(original.message, { extensions: { code: "BAD_USER_INPUT" } });
  }
  // Prisma's "record to update/delete not found" is a fenced or missing row.
  if ((original as { code?: string } | null)?.code === "P2025") {
    return new GraphQLError("Not found.", { extensions: { code: "NOT_FOUND" } });
  }
  // Errors graphql-js raised itself (argument coercion) are about the input and safe to show.
  if (error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError)) {
    return withCode(error.originalError instanceof GraphQLError ? error.originalError : error);
  }
  console.error("Unexpected error in GraphQL operation:", original);
  return new GraphQLError("Something went wrong on the server. Try again; if it keeps happening, tell the administrator.", {
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  });
}

function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    path: error.path,
    extensions: { ...error.extensions, code: "BAD_USER_INPUT" },
  });
}

/** Variable coercion errors ("missing field providerModelId") arrive uncoded; they are input errors. */
const codeInputErrors: Plugin = {
  onExecute: () => ({
    onExecuteDone({ result, setResult }) {
      if ("errors" in result && result.errors?.length) {
        setResult({ ...result, errors: result.errors.map((e) => (e instanceof GraphQLError && !e.originalError ? withCode(e) : e)) });
      }
    },
  }),
};

/**
 * CSRF rides on cookies the browser adds by itself; a request that authenticates with a
 * bearer token carries no cookie to ride on (one with both is refused in the context).
 */
function csrfPreventionForCookies(): Plugin {
  const prevention = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] }) as Plugin & { onRequestParse: NonNullable<Plugin["onRequestParse"]> };
  return {
    onRequestParse(payload) {
      if (bearerToken(payload.request) && !readCookie(payload.request, SESSION_COOKIE)) return;
      return prevention.onRequestParse(payload);
    },
  };
}

/** An authentication failure before any operation runs: the coded error with its HTTP status (and Retry-After). */
function authenticationError(error: AppError): GraphQLError {
  const headers = error instanceof RateLimited ? { "retry-after": String(error.retryAfterSeconds) } : undefined;
  return new GraphQLError(error.message, { extensions: { code: error.code, http: { status: httpStatusOf[error.code], ...(headers ? { headers } : {}) } } });
}

export function createGraphQLServer(app: AppServices) {
  const pendingCookies = new WeakMap<Request, string[]>();
  const cookiePlugin: Plugin = {
    onResponse({ request, response }) {
      for (const cookie of pendingCookies.get(request) ?? []) response.headers.append("set-cookie", cookie);
    },
  };

  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: app.config.graphiql,
    landingPage: false,
    // Same-origin only: the web UI is served from this server.
    cors: false,
    maskedErrors: { maskError },
    // maskError logs what is unexpected; expected user errors (wrong password…) are not log news.
    logging: false,
    // Yoga's 25 MB, checked by graphqlBodyLimit below without copying every request (body-limit.ts).
    maxRequestBodySize: false,
    plugins: [
      csrfPreventionForCookies(),
      // Before anything runs: how much one request may ask for (limits.ts).
      queryLimits({ hideSuggestions: !app.config.graphqlIntrospection }),
      // Production: the schema is not browsable (GRAPHQL_INTROSPECTION=true opens it).
      ...(app.config.graphqlIntrospection ? [] : [useDisableIntrospection()]),
      // Every string argument and variable: text the databases can store (input-text.ts).
      storableTextOnly,
      cookiePlugin,
      codeInputErrors,
      // replyStream events built without an execution per token (reply-stream.ts, decision 0019).
      directReplyEvents,
      graphqlBodyLimit(),
    ],
    context: async ({ request, clientAddress }): Promise<GraphQLContext> => {
      const address = clientAddress ?? "unknown";
      const bearer = bearerToken(request);
      if (bearer) {
        if (readCookie(request, SESSION_COOKIE) !== null) {
          throw authenticationError(
            new AppError("BAD_USER_INPUT", "This request carries both a session cookie and an access token: send one of them, not both."),
          );
        }
        const caller = await app.accounts.identity.fromGraphQLToken(bearer, address).catch((error) => {
          throw error instanceof AppError ? authenticationError(error) : error;
        });
        return {
          app,
          viewer: caller.user,
          db: caller.db,
          authenticatedBy: "token",
          sessionToken: null,
          clientAddress: address,
          userAgent: request.headers.get("user-agent") ?? "",
          origin: new URL(request.url).origin,
          setSessionCookie: () => {},
          clearSessionCookie: () => {},
        };
      }
      const caller = await app.accounts.identity.fromSession(request);
      const setCookie = (cookie: string) => pendingCookies.set(request, [...(pendingCookies.get(request) ?? []), cookie]);
      const clearSessionCookie = () => setCookie(sessionCookie("", new Date(0), app.config.auth.cookieSecure));
      // A cookie naming no live session (expired, signed out elsewhere, malformed) is
      // cleared: the page cannot clear an HttpOnly cookie itself.
      if (caller.staleCookie) clearSessionCookie();
      return {
        app,
        viewer: caller.user,
        db: caller.db,
        authenticatedBy: caller.user ? "session" : null,
        sessionToken: caller.sessionToken,
        clientAddress: address,
        userAgent: request.headers.get("user-agent") ?? "",
        origin: new URL(request.url).origin,
        setSessionCookie: (token, expiresAt) => setCookie(sessionCookie(token, expiresAt, app.config.auth.cookieSecure)),
        clearSessionCookie,
      };
    },
  });
}
