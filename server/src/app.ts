/**
 * The HTTP application: every route on one Elysia instance. No listening here, so
 * tests drive it in process with `app.handle(request)`.
 */
import { Elysia } from "elysia";
import { AttemptLimiter } from "./accounts/rate-limit.ts";
import { createSecretBox } from "./crypto/secret-box.ts";
import type { Db } from "./db/client.ts";
import type { Config } from "./env.ts";
import type { AppServices } from "./graphql/context.ts";
import { createGraphQLServer } from "./graphql/yoga.ts";
import { healthRoutes } from "./health/route.ts";
import { webRoutes } from "./web/route.ts";

export interface AppDependencies {
  config: Config;
  db: Db;
  encryptionKey: Buffer;
}

export function createServices({ config, db, encryptionKey }: AppDependencies): AppServices {
  return {
    config,
    rootDb: db,
    secrets: createSecretBox(encryptionKey),
    signinLimiter: new AttemptLimiter(config.auth.signinMaxAttempts, config.auth.signinWindowSeconds * 1000),
  };
}

export function clientAddressOf(request: Request, server: { requestIP(r: Request): { address: string } | null } | null, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return server?.requestIP(request)?.address ?? "unknown";
}

export function createApp(deps: AppDependencies) {
  const services = createServices(deps);
  const yoga = createGraphQLServer(services);
  const { config } = deps;
  return new Elysia()
    .use(healthRoutes(deps.db))
    .all("/graphql", ({ request, server }) =>
      yoga.fetch(request, { clientAddress: clientAddressOf(request, server, config.auth.trustProxy) }),
    )
    .use(webRoutes(config.webBuildDir));
}

export type App = ReturnType<typeof createApp>;
