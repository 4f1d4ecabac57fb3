/**
 * The GraphQL feature's public entry: the HTTP (and SSE) server and the WebSocket
 * transport at /graphql, and the services they are built on. (`index.ts` is Pothos'
 * import-only index of the schema's domain files, so the entry has its own name.)
 */

export type { AppServices } from "./context.ts";
export { graphqlWebSocket } from "./websocket.ts";
export { CSRF_HEADER, createGraphQLServer, type ServerContext } from "./yoga.ts";
