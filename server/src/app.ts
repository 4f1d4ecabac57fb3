/**
 * The HTTP application: every route on one Elysia instance. No listening here, so
 * tests drive it in process with `app.handle(request)`.
 */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { clientAddress, createAccounts } from "./accounts/index.ts";
import { createAdministration } from "./admin/index.ts";
import { attachmentRoutes } from "./attachments/index.ts";
import { chatRoutes, createBranchReader } from "./chats/index.ts";
import { createCursorSigner } from "./crypto/cursors.ts";
import { createSecretBox } from "./crypto/secret-box.ts";
import type { Db } from "./db/client.ts";
import type { Config } from "./env.ts";
import { AppError, httpStatusOf } from "./errors.ts";
import { createReplyService } from "./generation/index.ts";
import { createUsageAfterAnswers, type GlassesSetup, glassesRoutes } from "./glasses/index.ts";
import { type AppServices, createGraphQLServer, graphqlWebSocket } from "./graphql/server.ts";
import { healthRoutes } from "./health/index.ts";
import { createMemoryService } from "./memory/index.ts";
import { openaiRoutes } from "./openai-api/index.ts";
import { createSearch } from "./search/index.ts";
import type { SpeechToText } from "./speech/index.ts";
import { securityHeaders, webRoutes } from "./web/index.ts";

export interface AppDependencies {
  config: Config;
  db: Db;
  encryptionKey: Buffer;
  /** Speech-to-text for the glasses route, created once at start (speech/from-config.ts). */
  speech: SpeechToText;
}

/**
 * The services every route shares, built once. The unfenced client (`db`) goes to the
 * accounts (who is asking, sign-up/in/out), the administration (behind its admin-only gate), the reply service (checkpoints, sweeps), memory
 * (full-text search and its other plain SQL, each naming the user), the search (raw full-text
 * SQL, filtered by owner) and the branch reader (a recursive walk held to one chat) and
 * nowhere else: routes and resolvers get a fenced client per request.
 */
export function createServices({ config, db, encryptionKey }: Pick<AppDependencies, "config" | "db" | "encryptionKey">): AppServices {
  const secrets = createSecretBox(encryptionKey);
  const memory = createMemoryService({ rootDb: db, secrets, config });
  const replies = createReplyService({ rootDb: db, secrets, config, memory });
  // Sign-outs and changed users reach every instance over the replies' bus (Redis when configured).
  const accounts = createAccounts(db, config, replies.bus);
  return {
    config,
    accounts,
    admin: createAdministration(db, {
      signupInitiallyOpen: config.auth.signupOpen,
      identity: accounts.identity,
      models: { secrets, network: config.providerNetwork },
    }),
    secrets,
    memory,
    cursors: createCursorSigner(encryptionKey),
    replies,
    search: createSearch(db, config.database.provider),
    branches: createBranchReader(db, config.database.provider),
    glassesUsage: createUsageAfterAnswers(db),
  };
}

/** The client's address (accounts/client-address.ts); `server` is null when the app is driven in process. */
export function clientAddressOf(request: Request, server: { requestIP(r: Request): { address: string } | null } | null, config: Config): string {
  return clientAddress(request, server?.requestIP(request)?.address ?? null, config.auth);
}

/**
 * `services` lets the caller keep hold of them: main.ts ends the replies in progress
 * on shutdown (services.replies.close()).
 */
export function createApp(deps: AppDependencies, services: AppServices = createServices(deps)) {
  const yoga = createGraphQLServer(services);
  const { config } = deps;
  return new Elysia()
    // First: every response, errors included, carries them.
    .use(securityHeaders({ publicUrl: config.publicUrl }))
    // REST routes that let an error through: our coded errors become their status and a
    // sentence (UNAVAILABLE: 503); anything else a plain 500, logged once, no internals.
    .onError({ as: "global" }, ({ error, code, set }) => {
      if (error instanceof AppError) {
        set.status = httpStatusOf[error.code];
        return { detail: error.message };
      }
      // A route that chose its status before throwing (the WebSocket upgrade's 403) keeps it.
      const chosen = typeof set.status === "number" && set.status >= 400 && set.status < 500;
      if ((code === "UNKNOWN" || code === "INTERNAL_SERVER_ERROR") && !chosen) {
        console.error(`[aiui] unexpected error: ${(error as Error)?.message?.split("\n")[0]}`);
        set.status = 500;
        return { detail: "Something went wrong on the server. Try again; if it keeps happening, tell the administrator." };
      }
    })
    .use(
      openapi({
        path: "/openapi",
        documentation: {
          info: {
            title: "AIUI REST routes",
            version: "1",
            description:
              "The OpenAI-compatible API (/v1) and the glasses route (/mm/mm/), with a personal access token (Settings → Access tokens). The GraphQL API is at /graphql (schema.graphql).",
          },
          components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "A personal access token with the route's scope." } } },
        },
      }),
    )
    .use(healthRoutes(deps.db))
    .use(attachmentRoutes(services.accounts.identity))
    .use(chatRoutes(services.accounts.identity))
    .use(
      glassesRoutes(
        services.accounts.identity,
        {
          secrets: services.secrets,
          speech: deps.speech,
          config,
          replies: services.replies,
          memory: services.memory,
          setups: services.accounts.identity.rememberedPerUser<GlassesSetup>(),
          usageAfterAnswers: services.glassesUsage,
        },
        (request, server) => clientAddressOf(request, server, config),
      ),
    )
    .use(
      openaiRoutes(services.accounts.identity, { replies: services.replies, speech: deps.speech, config, models: services.accounts.identity.rememberedPerUser() }, (request, server) =>
        clientAddressOf(request, server, config),
      ),
    )
    .use(
      graphqlWebSocket(yoga, {
        publicUrl: config.publicUrl,
        trustProxy: config.auth.trustProxy,
        clientAddressOf: (request, remoteAddress) =>
          clientAddressOf(request, { requestIP: () => ({ address: remoteAddress }) }, config),
      }),
    )
    .all(
      "/graphql",
      ({ request, server }) => yoga.fetch(request, { clientAddress: clientAddressOf(request, server, config) }),
      // Described by schema.graphql, not by OpenAPI.
      { detail: { hide: true } },
    )
    .use(webRoutes(config.webBuildDir));
}

export type App = ReturnType<typeof createApp>;
