/**
 * GraphQL over WebSocket (graphql-ws, `graphql-transport-ws` protocol) at /graphql,
 * beside the HTTP and SSE transport yoga serves there. Subscriptions only: queries and
 * mutations go over HTTP, where cookies can be set and CSRF prevention applies.
 *
 * Authentication is the HTTP one: the session cookie of the upgrade request, or an access
 * token a script puts in `connectionParams` (`{ authorization: "Bearer <token>" }`, as
 * browsers cannot set headers on an upgrade), looked up again for every operation (a
 * signed-out session or a revoked token stops authorising new ones).
 * Cross-site WebSocket hijacking: browsers send cookies with cross-site upgrades and
 * CORS does not apply to WebSockets, so an upgrade whose Origin is not this server's
 * is refused. Clients that send no Origin (not browsers) are let through: without an
 * Origin there is no browser to ride on.
 *
 * Every operation runs through yoga's envelop pipeline (getEnveloped), so errors are
 * coded and masked exactly as over HTTP.
 */
import { Elysia } from "elysia";
import { GraphQLError, getOperationAST } from "graphql";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols, makeServer } from "graphql-ws";
import type { YogaServerInstance } from "graphql-yoga";
import type { GraphQLContext } from "./context.ts";
import type { ServerContext } from "./yoga.ts";

interface SocketExtra {
  request: Request;
  clientAddress: string;
}

/** True when a browser's Origin names the host the upgrade was sent to (or PUBLIC_URL's). */
export function originAllowed(request: Request, publicUrl: string | undefined, trustProxy: boolean): boolean {
  const origin = request.headers.get("origin");
  if (!origin) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  const hosts = [request.headers.get("host")];
  if (trustProxy) hosts.push(request.headers.get("x-forwarded-host")?.split(",")[0]?.trim() ?? null);
  if (publicUrl) hosts.push(new URL(publicUrl).host);
  return hosts.some((host) => host?.toLowerCase() === originHost);
}

const refusal = (message: string) => [new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } })];

/** The upgrade request as the operation's context sees it: with the token of `connectionParams`, if one was given. */
export function withConnectionToken(request: Request, connectionParams: Record<string, unknown> | undefined): Request {
  const authorization = connectionParams?.authorization ?? connectionParams?.Authorization;
  if (typeof authorization !== "string" || authorization.trim() === "") return request;
  const headers = new Headers(request.headers);
  headers.set("authorization", authorization);
  return new Request(request.url, { method: request.method, headers });
}

export function graphqlWebSocket(
  yoga: YogaServerInstance<ServerContext, GraphQLContext>,
  options: { publicUrl: string | undefined; trustProxy: boolean; clientAddressOf: (request: Request, remoteAddress: string) => string },
) {
  const server = makeServer<Record<string, unknown> | undefined, SocketExtra>({
    execute: (args) => (args.rootValue as { execute: (a: typeof args) => never }).execute(args),
    subscribe: (args) => (args.rootValue as { subscribe: (a: typeof args) => never }).subscribe(args),
    onSubscribe: async (ctx, _id, payload) => {
      const { clientAddress } = ctx.extra;
      const request = withConnectionToken(ctx.extra.request, ctx.connectionParams);
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ request, clientAddress, params: payload });
      let document: ReturnType<typeof parse>;
      try {
        document = parse(payload.query);
      } catch (error) {
        return error instanceof GraphQLError ? [error] : refusal("The query could not be parsed.");
      }
      if (getOperationAST(document, payload.operationName)?.operation !== "subscription") {
        return refusal("Over WebSocket only subscriptions are served; send queries and mutations over HTTP.");
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      let contextValue: Awaited<ReturnType<typeof contextFactory>>;
      try {
        contextValue = await contextFactory();
      } catch (error) {
        // A wrong, expired or revoked token (or too many of them): the operation gets the coded error.
        if (error instanceof GraphQLError) return [new GraphQLError(error.message, { extensions: { code: error.extensions.code } })];
        throw error;
      }
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue,
        rootValue: { execute, subscribe },
      };
    },
  });

  const closers = new WeakMap<object, { handle: (message: string) => Promise<void>; closed: (code?: number, reason?: string) => Promise<void> }>();

  return new Elysia({ name: "graphql-ws" }).ws("/graphql", {
    // graphql-transport-ws, described by schema.graphql rather than OpenAPI.
    detail: { hide: true },
    beforeHandle({ request, set }) {
      if (!originAllowed(request, options.publicUrl, options.trustProxy)) {
        set.status = 403;
        throw new Error("Cross-origin WebSocket refused");
      }
      const protocol = handleProtocols(request.headers.get("sec-websocket-protocol") ?? "");
      if (protocol) set.headers["sec-websocket-protocol"] = protocol;
    },
    open(ws) {
      const socket = ws.raw;
      const request = (ws.data as { request: Request }).request;
      let handle: (message: string) => Promise<void> = async () => {};
      const closed = server.opened(
        {
          protocol: GRAPHQL_TRANSPORT_WS_PROTOCOL,
          send: (message) => {
            if (closers.has(socket)) socket.send(message);
          },
          close: (code, reason) => {
            if (closers.has(socket)) socket.close(code, reason);
          },
          onMessage: (callback) => {
            handle = callback;
          },
        },
        { request, clientAddress: options.clientAddressOf(request, socket.remoteAddress) },
      );
      closers.set(socket, { handle: (message) => handle(message), closed });
    },
    message(ws, message) {
      // Elysia has already parsed JSON text; graphql-ws wants the text.
      const text = typeof message === "string" ? message : JSON.stringify(message);
      return closers.get(ws.raw)?.handle(text);
    },
    close(ws, code, reason) {
      const client = closers.get(ws.raw);
      closers.delete(ws.raw);
      return client?.closed(code, reason);
    },
  });
}
