/**
 * The HTTP application: every route on one Elysia instance. No listening here, so
 * tests drive it in process with `app.handle(request)`.
 */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { AttemptLimiter } from "./accounts/rate-limit.ts";
import { createSecretBox } from "./crypto/secret-box.ts";
import type { Db } from "./db/client.ts";
import type { Config } from "./env.ts";
import type { AppServices } from "./graphql/context.ts";
import { createReplyService } from "./generation/service.ts";
import { graphqlWebSocket } from "./graphql/websocket.ts";
import { createGraphQLServer } from "./graphql/yoga.ts";
import { attachmentRoutes } from "./attachments/route.ts";
import { glassesRoutes } from "./glasses/route.ts";
import { healthRoutes } from "./health/route.ts";
import type { SpeechToText } from "./speech/index.ts";
import { webRoutes } from "./web/route.ts";

export interface AppDependencies {
  config: Config;
  db: Db;
  encryptionKey: Buffer;
  /** Speech-to-text for the glasses route, created once at start (speech/from-config.ts). */
  speech: SpeechToText;
}

export function createServices({ config, db, encryptionKey }: Pick<AppDependencies, "config" | "db" | "encryptionKey">): AppServices {
  const secrets = createSecretBox(encryptionKey);
  return {
    config,
    rootDb: db,
    secrets,
    signinLimiter: new AttemptLimiter(config.auth.signinMaxAttempts, config.auth.signinWindowSeconds * 1000),
    replies: createReplyService({ rootDb: db, secrets, config }),
  };
}

export function clientAddressOf(request: Request, server: { requestIP(r: Request): { address: string } | null } | null, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return server?.requestIP(request)?.address ?? "unknown";
}

/**
 * `services` lets the caller keep hold of them: main.ts ends the replies in progress
 * on shutdown (services.replies.close()).
 */
export function createApp(deps: AppDependencies, services: AppServices = createServices(deps)) {
  const yoga = createGraphQLServer(services);
  const { config } = deps;
  return new Elysia()
    .use(
      openapi({
        path: "/openapi",
        documentation: {
          info: { title: "AIUI REST routes", version: "1", description: "The GraphQL API is at /graphql (schema.graphql)." },
        },
      }),
    )
    .use(healthRoutes(deps.db))
    .use(attachmentRoutes(deps.db))
    .use(glassesRoutes({ rootDb: deps.db, secrets: services.secrets, speech: deps.speech, config }))
    .use(
      graphqlWebSocket(yoga, {
        publicUrl: config.publicUrl,
        trustProxy: config.auth.trustProxy,
        clientAddressOf: (request, remoteAddress) =>
          clientAddressOf(request, { requestIP: () => ({ address: remoteAddress }) }, config.auth.trustProxy),
      }),
    )
    .all(
      "/graphql",
      ({ request, server }) => yoga.fetch(request, { clientAddress: clientAddressOf(request, server, config.auth.trustProxy) }),
      // Described by schema.graphql, not by OpenAPI.
      { detail: { hide: true } },
    )
    .use(webRoutes(config.webBuildDir));
}

export type App = ReturnType<typeof createApp>;
