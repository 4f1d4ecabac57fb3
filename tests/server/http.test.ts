import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createApp } from "../../server/src/app.ts";
import { openDatabase } from "../../server/src/db/client.ts";
import { type DatabaseProvider, parseConfig } from "../../server/src/env.ts";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import { speechFromConfig } from "../../server/src/speech/from-config.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

test("GET /healthz reports the database reachable and writable (it rewrites the heartbeat row)", async () => {
  const before = new Date();
  const response = await app.handle(new Request("http://aiui.test/healthz"));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: "ok", database: "reachable", writable: true });
  const heartbeat = await app.db.healthHeartbeat.findUniqueOrThrow({ where: { id: 1 } });
  expect(heartbeat.beatAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
});

describe("CSRF protection on /graphql", () => {
  test("a form-encoded cross-site style POST without the CSRF header is refused", async () => {
    const client = await app.signedUp("csrf@example.com");
    const response = await app.handle(
      new Request("http://aiui.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: client.cookie! },
        body: "query=mutation%7BcreateChat%7Bid%7D%7D",
      }),
    );
    expect(response.status).toBe(403);
    expect(await app.db.chat.count()).toBe(0);
  });

  test("a GET without the header is refused; with it, queries work", async () => {
    const url = `http://aiui.test/graphql?query=${encodeURIComponent("{ viewer { id } }")}`;
    expect((await app.handle(new Request(url))).status).toBe(403);
    const allowed = await app.handle(new Request(url, { headers: { [CSRF_HEADER]: "1" } }));
    expect(await allowed.json()).toEqual({ data: { viewer: null } });
  });

  test("mutations are never accepted over GET", async () => {
    const url = `http://aiui.test/graphql?query=${encodeURIComponent("mutation { signOut }")}`;
    const response = await app.handle(new Request(url, { headers: { [CSRF_HEADER]: "1" } }));
    expect(response.status).toBe(405);
  });
});

test("cross-origin requests get no CORS grant", async () => {
  const response = await app.handle(
    new Request("http://aiui.test/graphql", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } }),
  );
  expect(response.headers.get("access-control-allow-origin")).toBeNull();
  expect(response.headers.get("access-control-allow-credentials")).toBeNull();
});

test("an internal failure reaches the client as a plain sentence, with no stack or internals", async () => {
  const broken = await startTestApp();
  const client = await broken.signedUp("broken@example.com");
  // Break the database under the running app: the next model query fails inside Prisma.
  const q = broken.database.provider === "mysql" ? "`" : '"';
  await broken.db.$executeRawUnsafe(`ALTER TABLE ${q}AiModel${q} RENAME TO ${q}AiModelGone${q}`);
  const originalError = console.error;
  console.error = () => {};
  try {
    const result = await client.request(`{ models { id } }`);
    expect(result.errors?.[0]?.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(result.errors?.[0]?.message).toContain("Something went wrong on the server");
    expect(JSON.stringify(result)).not.toMatch(/AiModel|prisma|at \w+ \(|\.ts:/i);
  } finally {
    console.error = originalError;
    await broken.close();
  }
});

test("/healthz answers 503 when the database cannot be reached", async () => {
  const unreachable: Record<DatabaseProvider, string> = {
    sqlite: "file:/nonexistent-aiui-dir/aiui.db",
    postgresql: "postgresql://postgres@127.0.0.1:1/aiui",
    mysql: "mysql://root@127.0.0.1:1/aiui",
  };
  const provider: DatabaseProvider = app.database.provider;
  const config = parseConfig({ NODE_ENV: "test", DATA_DIR: app.config.dataDir, DATABASE_URL: unreachable[provider] });
  const database = await openDatabase(config.database.url, provider);
  const offline = createApp({ config, db: database.db, encryptionKey: randomBytes(32), speech: speechFromConfig(config.speech, () => {}) });
  const response = await offline.handle(new Request("http://aiui.test/healthz"));
  expect(response.status).toBe(503);
  expect(await response.json()).toMatchObject({ status: "error", database: "unreachable", writable: false, reason: expect.any(String) });
  // Not awaited: the MariaDB pool only gives up on the dead address after its own 10 s timeout.
  void database.close().catch(() => {});
});
