/**
 * Serves the built web UI (web/build, SvelteKit's static adapter) with index.html as
 * the fallback for client-side routes. Runs after every API route, so it only sees
 * paths nothing else claimed. The page gets its Content-Security-Policy here
 * (security-headers.ts): it allows the page's inline bootstrap script by hash, read from
 * the built file (again whenever a new build replaces it).
 */
import { Elysia } from "elysia";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import { uiPolicy } from "./security-headers.ts";

export function webRoutes(buildDir: string) {
  const indexFile = join(buildDir, "index.html");
  let policy = { mtimeMs: -1, value: "" };
  const policyOfIndex = () => {
    const { mtimeMs } = statSync(indexFile);
    if (mtimeMs !== policy.mtimeMs) policy = { mtimeMs, value: uiPolicy(readFileSync(indexFile, "utf8")) };
    return policy.value;
  };
  return new Elysia().get(
    "/*",
    ({ params, set }) => {
      const requested = normalize(join(buildDir, params["*"] ?? ""));
      if (requested.startsWith(buildDir) && requested !== indexFile && existsSync(requested) && statSync(requested).isFile()) {
        if (requested.includes(`${join(buildDir, "_app", "immutable")}`)) set.headers["cache-control"] = "public, max-age=31536000, immutable";
        return Bun.file(requested);
      }
      if (existsSync(indexFile)) {
        set.headers["content-security-policy"] = policyOfIndex();
        return Bun.file(indexFile);
      }
      set.status = 503;
      return "The web UI is not built yet: run `bun run build`.";
    },
    // Files of the web UI, not an API.
    { detail: { hide: true } },
  );
}
