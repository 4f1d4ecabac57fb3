/**
 * After `vite build`: writes a Brotli (.br) and a gzip (.gz) copy next to every text asset
 * of the build, so the server sends them as they are (server/src/web/route.ts picks one
 * by Accept-Encoding), and `routes.json`, the app's page paths as patterns, so the server
 * can answer an unknown path with 404 (and the app's not-found page) instead of 200.
 *
 *   bun web/scripts/precompress.ts [buildDir] [routesDir]
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** Worth compressing: text. Pictures and fonts are compressed already. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|xml|webmanifest)$/;
/** Below this, compression saves less than the header costs. */
const MIN_BYTES = 1024;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Writes PATH.br and PATH.gz for each compressible file; returns what it wrote, for the log. */
export function precompress(buildDir: string): { file: string; bytes: number; br: number; gz: number }[] {
  const written = [];
  for (const file of filesUnder(buildDir)) {
    if (!COMPRESSIBLE.test(file) || statSync(file).size < MIN_BYTES) continue;
    const bytes = readFileSync(file);
    const br = brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    });
    const gz = gzipSync(bytes, { level: 9 });
    writeFileSync(`${file}.br`, br);
    writeFileSync(`${file}.gz`, gz);
    written.push({ file: relative(buildDir, file), bytes: bytes.length, br: br.length, gz: gz.length });
  }
  return written;
}

/**
 * The app's page paths (SvelteKit's src/routes: a folder with +page.svelte is a page) as
 * regular expressions: route groups "(app)" drop out, "[id]" matches one path segment,
 * "[...rest]" any number, "[[optional]]" zero or one.
 */
export function routePatterns(routesDir: string): string[] {
  const patterns: string[] = [];
  const walk = (dir: string, segments: string[]) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((entry) => entry.isFile() && /^\+page\.(svelte|ts|js)$/.test(entry.name))) {
      const body = segments
        .map((segment) => {
          if (/^\[\.\.\.\w+\]$/.test(segment)) return "(?:/.*)?";
          if (/^\[\[\w+\]\]$/.test(segment)) return "(?:/[^/]+)?";
          if (/^\[\w+\]$/.test(segment)) return "/[^/]+";
          return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
        })
        .join("");
      patterns.push(`^${body || ""}/?$`);
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      walk(join(dir, entry.name), /^\(.*\)$/.test(entry.name) ? segments : [...segments, entry.name]);
    }
  };
  walk(routesDir, []);
  return [...new Set(patterns)].sort();
}

if (import.meta.main) {
  const here = import.meta.dir;
  const buildDir = resolve(process.argv[2] ?? join(here, "..", "build"));
  const routesDir = resolve(process.argv[3] ?? join(here, "..", "src", "routes"));
  if (!existsSync(join(buildDir, "index.html"))) throw new Error(`${buildDir}/index.html is missing: run vite build first.`);
  writeFileSync(join(buildDir, "routes.json"), `${JSON.stringify(routePatterns(routesDir), null, 2)}\n`);
  const written = precompress(buildDir);
  const total = (key: "bytes" | "br" | "gz") => written.reduce((sum, file) => sum + file[key], 0);
  console.log(`precompressed ${written.length} files: ${total("bytes")} bytes, ${total("br")} as Brotli, ${total("gz")} as gzip`);
}
