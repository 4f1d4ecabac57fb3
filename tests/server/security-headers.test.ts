/**
 * Security headers on every kind of response (server/src/web/security-headers.ts): the web
 * UI's page and files, GraphQL answers and errors, the SSE stream, attachments, the glasses
 * route, /healthz, 404s, the developer tools' pages. The UI page's policy allows exactly the
 * inline scripts of the built page, by hash. (tests/web/*.test.ts run the real build in
 * Chromium and fail on any Content-Security-Policy violation.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_POLICY, PICTURE_POLICY, TOOL_PAGE_POLICY } from "../../server/src/web/security-headers.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

const BOOTSTRAP = `\n  window.started = true;\n`;
let buildDir: string;
let app: TestApp;
let ada: TestClient;
let attachmentId: string;
let glassesToken: string;

/** A built UI in miniature: an index.html with one inline script (as SvelteKit's static adapter writes), an asset. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), "aiui-web-build-"));
  mkdirSync(join(dir, "_app", "immutable"), { recursive: true });
  writeFileSync(join(dir, "index.html"), `<!doctype html><html><head><script type="module" src="/_app/immutable/start.js"></script></head><body><script>${BOOTSTRAP}</script></body></html>`);
  writeFileSync(join(dir, "_app", "immutable", "start.js"), "export {};");
  writeFileSync(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  return dir;
}

beforeAll(async () => {
  buildDir = fakeBuild();
  app = await startTestApp({ WEB_BUILD_DIR: buildDir, NODE_ENV: "development" });
  ada = await app.signedUp("ada@example.com");
  const chat = await ada.data(`mutation { createChat(input: { title: "Pictures" }) { id } }`);
  const message = await app.db.message.create({ data: { chatId: chat.createChat.id, role: "USER", content: "look" } });
  attachmentId = (await app.db.attachment.create({ data: { messageId: message.id, mimeType: "image/jpeg", byteSize: 3, data: new Uint8Array([0xff, 0xd8, 0xff]) } })).id;
  glassesToken = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
});
afterAll(() => app.close());

function expectBaseline(response: Response, what: string) {
  const headers = Object.fromEntries(["x-content-type-options", "x-frame-options", "referrer-policy"].map((name) => [name, response.headers.get(name)]));
  expect({ what, headers }).toEqual({ what, headers: { "x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin" } });
  const policy = response.headers.get("content-security-policy") ?? "";
  expect({ what, framing: policy.includes("frame-ancestors 'none'") }).toEqual({ what, framing: true });
  // Not served over https here: no HSTS.
  expect(response.headers.get("strict-transport-security")).toBeNull();
  return policy;
}

const graphqlRequest = (body: unknown, headers: Record<string, string> = {}) =>
  new Request("http://aiui.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", "x-aiui-csrf": "1", cookie: ada.cookie!, ...headers },
    body: JSON.stringify(body),
  });

describe("every kind of response carries them", () => {
  const cases: [string, () => Request, number, string][] = [
    ["a GraphQL answer", () => graphqlRequest({ query: "{ viewer { id } }" }), 200, API_POLICY],
    ["a GraphQL error", () => graphqlRequest({ query: "{ nope }" }), 200, API_POLICY],
    ["a GraphQL refusal without the CSRF header", () => new Request("http://aiui.test/graphql?query=%7Bviewer%7Bid%7D%7D"), 403, API_POLICY],
    ["an attachment", () => new Request(`http://aiui.test/attachments/${attachmentId}`, { headers: { cookie: ada.cookie! } }), 200, PICTURE_POLICY],
    ["a missing attachment", () => new Request("http://aiui.test/attachments/none"), 404, API_POLICY],
    ["the glasses route refusing a token", () => new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: "Bearer wrong" } }), 401, API_POLICY],
    ["the glasses route refusing a form", () => new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${glassesToken}` } }), 400, API_POLICY],
    ["/healthz", () => new Request("http://aiui.test/healthz"), 200, API_POLICY],
    ["an unknown route", () => new Request("http://aiui.test/nowhere", { method: "POST" }), 404, API_POLICY],
    ["a UI asset", () => new Request("http://aiui.test/_app/immutable/start.js"), 200, API_POLICY],
    ["an SVG file", () => new Request("http://aiui.test/favicon.svg"), 200, API_POLICY],
    ["the OpenAPI document", () => new Request("http://aiui.test/openapi/json"), 200, API_POLICY],
    ["the OpenAPI reference page", () => new Request("http://aiui.test/openapi"), 200, TOOL_PAGE_POLICY],
    ["GraphiQL (development)", () => new Request("http://aiui.test/graphql", { headers: { accept: "text/html" } }), 200, TOOL_PAGE_POLICY],
  ];
  for (const [what, request, status, policy] of cases) {
    test(what, async () => {
      const response = await app.handle(request());
      expect(response.status).toBe(status);
      expect(expectBaseline(response, what)).toBe(policy);
    });
  }

  test("a reply stream (SSE)", async () => {
    const response = await app.handle(graphqlRequest({ query: `subscription { replyStream(messageId: "none") { done } }` }, { accept: "text/event-stream" }));
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    expectBaseline(response, "SSE");
    await response.body?.cancel();
  });

  test("an unexpected server error (500)", async () => {
    const broken = await startTestApp();
    const client = await broken.signedUp("broken@example.com");
    const q = broken.database.provider === "mysql" ? "`" : '"';
    await broken.db.$executeRawUnsafe(`DROP TABLE ${q}Attachment${q}`);
    const original = console.error;
    console.error = () => {};
    try {
      const response = await broken.handle(new Request("http://aiui.test/attachments/x", { headers: { cookie: client.cookie! } }));
      expect(response.status).toBe(500);
      expectBaseline(response, "500");
    } finally {
      console.error = original;
      await broken.close();
    }
  });
});

describe("the web UI's page", () => {
  for (const path of ["/", "/chats/some-id", "/index.html"]) {
    test(`${path}: its own origin only, its inline bootstrap script by hash, no inline style sheets`, async () => {
      const response = await app.handle(new Request(`http://aiui.test${path}`));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toStartWith("text/html");
      const policy = expectBaseline(response, path);
      const hash = createHash("sha256").update(BOOTSTRAP).digest("base64");
      const directives = Object.fromEntries(policy.split("; ").map((d) => [d.split(" ")[0], d]));
      expect(directives["script-src"]).toBe(`script-src 'self' 'sha256-${hash}'`);
      expect(directives["style-src"]).toBe("style-src 'self'");
      expect(directives["default-src"]).toBe("default-src 'self'");
      expect(directives["object-src"]).toBe("object-src 'none'");
      expect(policy).not.toContain("unsafe-eval");
    });
  }

  test("a new build with another bootstrap script gets its own hash", async () => {
    const dir = fakeBuild();
    const other = await startTestApp({ WEB_BUILD_DIR: dir });
    try {
      const before = (await other.handle(new Request("http://aiui.test/"))).headers.get("content-security-policy");
      await Bun.sleep(5);
      writeFileSync(join(dir, "index.html"), "<html><body><script>window.rebuilt = 1;</script></body></html>");
      const after = (await other.handle(new Request("http://aiui.test/"))).headers.get("content-security-policy");
      expect(after).not.toBe(before);
      expect(after).toContain(`'sha256-${createHash("sha256").update("window.rebuilt = 1;").digest("base64")}'`);
    } finally {
      await other.close();
    }
  });
});

test("HSTS when PUBLIC_URL is https", async () => {
  const secure = await startTestApp({ PUBLIC_URL: "https://aiui.example.com" });
  try {
    for (const request of [new Request("http://aiui.test/healthz"), graphqlRequest({ query: "{ viewer { id } }" })]) {
      expect((await secure.handle(request)).headers.get("strict-transport-security")).toBe("max-age=31536000");
    }
  } finally {
    await secure.close();
  }
});
