/**
 * Serves the built web UI (web/build, SvelteKit's static adapter). Runs after every API
 * route, so it only sees paths nothing else claimed.
 *
 * - Files are sent as the build precompressed them (web/scripts/precompress.ts): Brotli or
 *   gzip by the request's Accept-Encoding, with `Vary: Accept-Encoding`.
 * - Hashed assets (`/_app/immutable/…`) are cached for a year; index.html is revalidated
 *   on every load (`no-cache`), so a new build is picked up at once.
 * - Other paths get index.html (the app routes in the browser): 200 for the app's pages
 *   (routes.json, written by the build), 404 for anything else, which the app shows as
 *   its not-found page.
 * - The page gets its Content-Security-Policy here (security-headers.ts, whose other headers
 *   every response carries): it allows the page's inline bootstrap script by hash, read
 *   from the built file (again whenever a new build replaces it), for its 200s and 404s alike.
 */
import { Elysia } from "elysia";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import { uiPolicy } from "./security-headers.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";
/** Unhashed files next to index.html (favicon): short, so a new build shows within the hour. */
const SHORT = "public, max-age=3600";
const REVALIDATE = "no-cache";

/** The encodings the client accepts (q > 0), among those the build writes. */
export function acceptedEncodings(header: string | null): Set<"br" | "gzip"> {
  const accepted = new Set<"br" | "gzip">();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q && !(Number(q.slice(2)) > 0)) continue;
    if (name === "br" || name === "gzip") accepted.add(name);
    if (name === "*") {
      accepted.add("br");
      accepted.add("gzip");
    }
  }
  return accepted;
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** A file of the build, compressed when the client takes it and the build has it. */
function sendFile(path: string, acceptEncoding: string | null, headers: Record<string, string>, status = 200): Response {
  const type = Bun.file(path).type;
  const accepted = acceptedEncodings(acceptEncoding);
  for (const [encoding, suffix] of [["br", ".br"], ["gzip", ".gz"]] as const) {
    if (accepted.has(encoding) && isFile(`${path}${suffix}`)) {
      return new Response(Bun.file(`${path}${suffix}`), {
        status,
        headers: { ...headers, "content-type": type, "content-encoding": encoding, vary: "Accept-Encoding" },
      });
    }
  }
  return new Response(Bun.file(path), { status, headers: { ...headers, "content-type": type, vary: "Accept-Encoding" } });
}

/** The app's page paths; null (every path is a page) for a build without routes.json. */
function loadPagePatterns(buildDir: string): RegExp[] | null {
  const file = join(buildDir, "routes.json");
  if (!isFile(file)) return null;
  return (JSON.parse(readFileSync(file, "utf8")) as string[]).map((pattern) => new RegExp(pattern));
}

export function webRoutes(buildDir: string) {
  const root = normalize(buildDir + sep);
  const indexFile = join(buildDir, "index.html");
  const immutableDir = join(buildDir, "_app", "immutable") + sep;
  let pages: RegExp[] | null | undefined;
  let policy = { mtimeMs: -1, value: "" };
  const policyOfIndex = () => {
    const { mtimeMs } = statSync(indexFile);
    if (mtimeMs !== policy.mtimeMs) policy = { mtimeMs, value: uiPolicy(readFileSync(indexFile, "utf8")) };
    return policy.value;
  };
  /** The app's page (index.html) for the app's routes (200) and for unknown paths (404). */
  const sendPage = (acceptEncoding: string | null, status: number) =>
    sendFile(indexFile, acceptEncoding, { "cache-control": REVALIDATE, "content-security-policy": policyOfIndex() }, status);
  return new Elysia().get(
    "/*",
    ({ request }) => {
      const pathname = new URL(request.url).pathname;
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        decoded = "";
      }
      const requested = normalize(join(buildDir, decoded));
      const acceptEncoding = request.headers.get("accept-encoding");
      if (requested === indexFile && isFile(indexFile)) return sendPage(acceptEncoding, 200);
      // The compressed copies are served for their originals, not on their own.
      if (decoded && requested.startsWith(root) && !/\.(br|gz)$/.test(requested) && isFile(requested)) {
        return sendFile(requested, acceptEncoding, { "cache-control": requested.startsWith(immutableDir) ? IMMUTABLE : SHORT });
      }
      if (!isFile(indexFile)) return new Response("The web UI is not built yet: run `bun run build`.", { status: 503 });
      pages ??= loadPagePatterns(buildDir);
      const known = pages === null || pages.some((page) => page.test(pathname));
      return sendPage(acceptEncoding, known ? 200 : 404);
    },
    // Files of the web UI, not an API.
    { detail: { hide: true } },
  );
}
