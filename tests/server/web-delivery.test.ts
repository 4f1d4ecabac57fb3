/**
 * How the built web UI is delivered: precompressed assets by Accept-Encoding, caching
 * (hashed assets immutable, index.html revalidated), and 404 with the app's page for
 * paths that are no page of the app. Runs on a small build made here, the same way
 * `bun run web:build` finishes its build (web/scripts/precompress.ts). Every one of these
 * answers carries the security headers (server/src/web/security-headers.ts): compressed
 * or not, 200 or 404.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { acceptedEncodings } from "../../server/src/web/route.ts";
import { API_POLICY, uiPolicy } from "../../server/src/web/security-headers.ts";
import { precompress, routePatterns } from "../../web/scripts/precompress.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const WEB_ROUTES = join(import.meta.dir, "..", "..", "web", "src", "routes");

let dir: string;
let app: TestApp;
const indexHtml = `<!doctype html><html><body>${"<p>The app.</p>".repeat(200)}<script>window.started = 1;</script></body></html>`;
const script = `export const answer = ${JSON.stringify("x".repeat(5000))};\n`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aiui-web-"));
  const build = join(dir, "build");
  const routes = join(dir, "routes");
  mkdirSync(join(build, "_app", "immutable", "entry"), { recursive: true });
  writeFileSync(join(build, "index.html"), indexHtml);
  writeFileSync(join(build, "_app", "immutable", "entry", "app.Ab12.js"), script);
  writeFileSync(join(build, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  for (const page of ["(app)", "(app)/chats/[id]", "signin"]) {
    mkdirSync(join(routes, page), { recursive: true });
    writeFileSync(join(routes, page, "+page.svelte"), "");
  }
  writeFileSync(join(build, "routes.json"), JSON.stringify(routePatterns(routes)));
  precompress(build);
  app = await startTestApp({ WEB_BUILD_DIR: build });
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, acceptEncoding?: string) =>
  app.handle(new Request(`http://aiui.test${path}`, { headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } }));

describe("compression", () => {
  test("Brotli when accepted, the precompressed bytes, with the original's type and Vary", async () => {
    const response = await get("/_app/immutable/entry/app.Ab12.js", "gzip, deflate, br");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBe("br");
    expect(response.headers.get("content-type")).toStartWith("text/javascript");
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.length).toBeLessThan(script.length / 10);
    expect(brotliDecompressSync(body).toString()).toBe(script);
  });

  test("gzip when Brotli is not accepted (or refused with q=0); none when nothing is", async () => {
    for (const header of ["gzip", "br;q=0, gzip;q=0.5"]) {
      const response = await get("/_app/immutable/entry/app.Ab12.js", header);
      expect(response.headers.get("content-encoding")).toBe("gzip");
      expect(gunzipSync(new Uint8Array(await response.arrayBuffer())).toString()).toBe(script);
    }
    const plain = await get("/_app/immutable/entry/app.Ab12.js", "");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(script);
  });

  test("files too small to gain are sent as they are", async () => {
    const response = await get("/favicon.svg", "br");
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("content-type")).toStartWith("image/svg+xml");
  });

  test("Accept-Encoding is read with its weights", () => {
    expect([...acceptedEncodings("gzip, deflate, br")].sort()).toEqual(["br", "gzip"]);
    expect([...acceptedEncodings("br;q=0, gzip")]).toEqual(["gzip"]);
    expect([...acceptedEncodings("*")].sort()).toEqual(["br", "gzip"]);
    expect([...acceptedEncodings(null)]).toEqual([]);
  });
});

describe("caching", () => {
  test("hashed assets are immutable; index.html and the app's pages are revalidated; other files briefly cached", async () => {
    expect((await get("/_app/immutable/entry/app.Ab12.js")).headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    for (const path of ["/", "/index.html", "/chats/abc"]) expect((await get(path)).headers.get("cache-control")).toBe("no-cache");
    expect((await get("/favicon.svg")).headers.get("cache-control")).toBe("public, max-age=3600");
  });
});

describe("pages and unknown paths", () => {
  test("the app's pages answer 200 with index.html (compressed when accepted)", async () => {
    for (const path of ["/", "/signin", "/chats/c123", "/chats/c123/"]) {
      const response = await get(path, "br");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-encoding")).toBe("br");
      expect(brotliDecompressSync(new Uint8Array(await response.arrayBuffer())).toString()).toBe(indexHtml);
    }
  });

  test("unknown paths answer 404 with index.html, which shows the app's not-found page", async () => {
    for (const path of ["/nope", "/chats", "/chats/a/b", "/_app/immutable/missing.js", "/_app/immutable/entry/app.Ab12.js.br", "/..%2F..%2Fetc%2Fpasswd"]) {
      const response = await get(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(await response.text()).toBe(indexHtml);
    }
  });

  test("the real app's pages are all known to the build's route list", () => {
    const patterns = routePatterns(WEB_ROUTES).map((p) => new RegExp(p));
    for (const path of ["/", "/signin", "/chats/abc", "/glasses", "/models", "/settings"]) expect(patterns.some((p) => p.test(path))).toBe(true);
    expect(patterns.some((p) => p.test("/definitely-not-a-page"))).toBe(false);
  });
});

describe("security headers", () => {
  const baseline = (response: Response) =>
    Object.fromEntries(["x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy"].map((name) => [name, response.headers.get(name)]));
  const headersWith = (policy: string) => ({ "x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin", "content-security-policy": policy });

  test("compressed and plain assets carry them, with the policy for files", async () => {
    for (const [path, encoding] of [
      ["/_app/immutable/entry/app.Ab12.js", "br"],
      ["/_app/immutable/entry/app.Ab12.js", "gzip"],
      ["/_app/immutable/entry/app.Ab12.js", ""],
      ["/favicon.svg", "br"],
    ] as const) {
      const response = await get(path, encoding);
      expect({ path, encoding, headers: baseline(response) }).toEqual({ path, encoding, headers: headersWith(API_POLICY) });
    }
  });

  test("the app's page, compressed or not, 200 or 404, has the page's policy with its inline script's hash", async () => {
    const policy = uiPolicy(indexHtml);
    expect(policy).toContain("'sha256-");
    for (const [path, encoding, status] of [
      ["/", "br", 200],
      ["/", "", 200],
      ["/index.html", "gzip", 200],
      ["/chats/c123", "br", 200],
      ["/nope", "br", 404],
      ["/nope", "", 404],
      ["/_app/immutable/missing.js", "gzip", 404],
    ] as const) {
      const response = await get(path, encoding);
      expect({ path, encoding, status: response.status, headers: baseline(response) }).toEqual({ path, encoding, status, headers: headersWith(policy) });
    }
  });
});
