/**
 * Serves the built web UI (web/build, SvelteKit's static adapter) with index.html as
 * the fallback for client-side routes. Runs after every API route, so it only sees
 * paths nothing else claimed.
 */
import { Elysia } from "elysia";
import { existsSync, statSync } from "node:fs";
import { join, normalize } from "node:path";

export function webRoutes(buildDir: string) {
  const indexFile = join(buildDir, "index.html");
  return new Elysia().get(
    "/*",
    ({ params, set }) => {
    const requested = normalize(join(buildDir, params["*"] ?? ""));
    if (requested.startsWith(buildDir) && existsSync(requested) && statSync(requested).isFile()) {
      if (requested.includes(`${join(buildDir, "_app", "immutable")}`)) set.headers["cache-control"] = "public, max-age=31536000, immutable";
      return Bun.file(requested);
    }
    if (existsSync(indexFile)) return Bun.file(indexFile);
    set.status = 503;
    return "The web UI is not built yet: run `bun run build`.";
    },
    // Files of the web UI, not an API.
    { detail: { hide: true } },
  );
}
