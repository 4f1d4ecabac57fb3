/**
 * The database goes away under a running app, for real: on PostgreSQL and MySQL/MariaDB the
 * app reaches its database through a loopback TCP proxy that the test freezes (a hung server:
 * connections stay open, nothing answers) or closes (connection refused); on PostgreSQL the
 * server also terminates the app's sessions and stops accepting connections; on SQLite the
 * file becomes read-only or cannot be opened. Every kind of request then answers within the
 * database timeout with UNAVAILABLE (GraphQL) or 503 (REST), "The database is not answering",
 * and the log gets one line per failed request with the cause, not a dump of Prisma.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { chmodSync, openSync, closeSync } from "node:fs";
import { createApp } from "../../server/src/app.ts";
import { openDatabase } from "../../server/src/db/client.ts";
import { parseConfig } from "../../server/src/env.ts";
import { speechFromConfig } from "../../server/src/speech/from-config.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { testProvider } from "../support/database.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

const provider = testProvider();
const DATABASE_UNAVAILABLE_MESSAGE = "The database is not answering; try again in a moment.";
const TIMEOUT_MS = 1000;
/** The timeout, the client-side race's margin, and slack for a loaded machine. */
const ANSWERED_WITHIN_MS = TIMEOUT_MS + 2500;

/** Every line written to the console while `work` runs (console.error/warn/log), split into lines. */
async function consoleLinesDuring<T>(work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const originals = { error: console.error, warn: console.warn, log: console.log };
  const capture = (...args: unknown[]) => {
    lines.push(...args.map((a) => (a instanceof Error ? `${a.stack}` : String(a))).join(" ").split("\n"));
  };
  console.error = capture;
  console.warn = capture;
  console.log = capture;
  try {
    return { result: await work(), lines };
  } finally {
    Object.assign(console, originals);
  }
}

interface Scene {
  app: TestApp;
  ada: TestClient;
  chatId: string;
  glassesToken: string;
}

async function setUp(app: TestApp, fake: FakeProvider): Promise<Scene> {
  const ada = await app.signedUp("ada@example.com");
  const model = await ada.data(`mutation($url: String!) { createModel(input: { name: "Echo", providerModelId: "echo", baseUrl: $url }) { id } }`, {
    url: fake.url,
  });
  const chat = await ada.data(`mutation($m: ID) { createChat(input: { modelId: $m }) { id } }`, { m: model.createModel.id });
  const glassesToken = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
  return { app, ada, chatId: chat.createChat.id, glassesToken };
}

/** The requests users were seen waiting on: a query, sending a message, signing in, the glasses. */
function everyKindOfRequest({ app, ada, chatId, glassesToken }: Scene) {
  const glassesForm = new FormData();
  glassesForm.append("prompt", "What time is it?");
  return {
    query: () => ada.request(`{ models { id } chats(first: 5) { edges { node { id } } } }`),
    sendMessage: () => ada.request(`mutation($c: ID!) { sendMessage(chatId: $c, content: "Hello") { reply { id } } }`, { c: chatId }),
    signIn: () => app.client("198.51.100.7").request(`mutation { signIn(input: { email: "ada@example.com", password: "correct horse battery" }) { id } }`),
    glasses: () =>
      app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${glassesToken}` }, body: glassesForm })),
    health: () => app.handle(new Request("http://aiui.test/healthz")),
  };
}

/** Runs every kind of request once, checks each answered UNAVAILABLE/503 in time, and returns the log lines. */
async function expectAllUnavailable(scene: Scene, health: { database: string } = { database: "unreachable" }): Promise<string[]> {
  const requests = everyKindOfRequest(scene);
  const { lines } = await consoleLinesDuring(async () => {
    for (const name of ["query", "sendMessage", "signIn"] as const) {
      const started = performance.now();
      const result = await requests[name]();
      expect(performance.now() - started).toBeLessThan(ANSWERED_WITHIN_MS);

      expect(result.errors?.[0]?.extensions?.code).toBe("UNAVAILABLE");
      expect(result.errors?.[0]?.message).toBe(DATABASE_UNAVAILABLE_MESSAGE);
    }
    const started = performance.now();
    const glasses = await requests.glasses();
    expect(performance.now() - started).toBeLessThan(ANSWERED_WITHIN_MS);
    expect(glasses.status).toBe(503);
    expect(await glasses.json()).toEqual({ detail: DATABASE_UNAVAILABLE_MESSAGE });

    const probe = await requests.health();
    expect(probe.status).toBe(503);
    expect(await probe.json()).toMatchObject({ status: "error", database: health.database, writable: false, reason: expect.any(String) });
  });
  return lines;
}

/**
 * Each failed database operation is one line naming its cause, and nothing else is logged: at
 * least one line per failed request (health included), and not many more (how many operations
 * a request starts before the first failure comes back depends on timing: once, on MySQL under
 * the whole suite's load, one request logged two).
 */
function expectOneLinePerRequest(lines: string[], cause: RegExp) {
  expect({ enough: lines.length >= 5 && lines.length <= 10, lines }).toEqual({ enough: true, lines });
  for (const line of lines) {
    expect(line).toMatch(/^\[aiui\] database unavailable: /);
    expect(line).toMatch(cause);
  }
}

async function expectRecovered(scene: Scene) {
  const requests = everyKindOfRequest(scene);
  // The pool may hand out one connection that died in the outage; the next request gets a new one.
  await requests.query().catch(() => {});
  expect((await requests.query()).errors).toBeUndefined();
  expect((await requests.health()).status).toBe(200);
}

/** host:port of the PostgreSQL / MySQL server the test run uses. */
function serverAddress(): { host: string; port: number } {
  const url = new URL(process.env[provider === "postgresql" ? "TEST_POSTGRES_URL" : "TEST_MYSQL_URL"]!);
  return { host: url.hostname, port: Number(url.port || (provider === "postgresql" ? 5432 : 3306)) };
}

// Each block concerns one kind of database and runs in that pass only (not reported as skipped in the others).
if (provider !== "sqlite") describe(`${provider} stops answering under a running app`, () => {
  let proxy: TcpProxy;
  let fake: FakeProvider;
  let scene: Scene;

  beforeAll(async () => {
    proxy = await startTcpProxy(serverAddress());
    fake = await startFakeProvider();
    const app = await startTestApp(
      { DATABASE_TIMEOUT_MS: String(TIMEOUT_MS) },
      {
        databaseUrl: (url) => {
          const throughProxy = new URL(url);
          throughProxy.hostname = "127.0.0.1";
          throughProxy.port = String(proxy.port);
          return throughProxy.toString();
        },
        databaseLog: (line) => console.error(`[aiui] ${line}`),
      },
    );
    scene = await setUp(app, fake);
  }, 30_000);

  afterEach(() => proxy.resume());

  afterAll(async () => {
    await scene?.app.close();
    proxy?.stop();
    await fake?.stop();
  });

  test("frozen (connections open, nothing answers): every request answers UNAVAILABLE in time, one log line each", async () => {
    proxy.pause();
    const lines = await expectAllUnavailable(scene);
    // (Prisma may recycle the MySQL pool while it waits: "connection pool closing".)
    expectOneLinePerRequest(lines, /timeout|no answer|no pooled connection|pool closing/i);
    proxy.resume();
    await expectRecovered(scene);
  }, 60_000);

  test("down (connections dropped and refused): every request answers UNAVAILABLE in time, one log line each", async () => {
    proxy.refuse();
    const lines = await expectAllUnavailable(scene);
    expectOneLinePerRequest(lines, /refused|closed|reach|terminated|reset|no pooled connection/i);
    proxy.resume();
    await expectRecovered(scene);
  }, 60_000);
});


if (provider === "postgresql") describe("PostgreSQL ends the app's sessions and refuses connections", () => {
  let fake: FakeProvider;
  let scene: Scene;
  let name: string;

  async function admin(sql: string) {
    const { Client } = await import("pg");
    const client = new Client({ connectionString: process.env.TEST_POSTGRES_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
  const terminateSessions = () => admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);

  beforeAll(async () => {
    fake = await startFakeProvider();
    scene = await setUp(await startTestApp({ DATABASE_TIMEOUT_MS: String(TIMEOUT_MS) }, { databaseUrl: (url) => url }), fake);
    name = new URL(scene.app.database.url).pathname.slice(1);
  }, 30_000);

  afterAll(async () => {
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
    await scene?.app.close();
    await fake?.stop();
  });

  test("ALLOW_CONNECTIONS false after pg_terminate_backend: UNAVAILABLE, one line each, then recovery", async () => {
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await terminateSessions();
    const lines = await expectAllUnavailable(scene);
    expectOneLinePerRequest(lines, /not accepting connections|administrator|terminat|closed/i);
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await expectRecovered(scene);
  }, 60_000);

  test("a read-only database: /healthz says it cannot write and why; writes answer UNAVAILABLE, reads still work", async () => {
    await admin(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
    await terminateSessions();
    try {
      const requests = everyKindOfRequest(scene);
      await requests.query().catch(() => {});
      const { lines } = await consoleLinesDuring(async () => {
        const health = await requests.health();
        expect(health.status).toBe(503);
        expect(await health.json()).toEqual({ status: "error", database: "reachable", writable: false, reason: "read-only transaction (25006)" });
        const write = await scene.ada.request(`mutation { createChat(input: { title: "Kept?" }) { id } }`);
        expect(write.errors?.[0]?.extensions?.code).toBe("UNAVAILABLE");
        expect((await requests.query()).errors).toBeUndefined();
      });
      expect(lines).toEqual([
        "[aiui] database unavailable: read-only transaction (25006) (HealthHeartbeat.upsert)",
        "[aiui] database unavailable: read-only transaction (25006) (Chat.create)",
      ]);
    } finally {
      await admin(`ALTER DATABASE ${name} SET default_transaction_read_only = off`);
      await terminateSessions();
    }
    await expectRecovered(scene);
  }, 60_000);
});

/**
 * Makes a file read-only for this process, whoever runs the tests: mode 0444, and for root
 * (who ignores modes) the immutable attribute. Returns how to undo it.
 */
function makeReadOnly(path: string): () => void {
  chmodSync(path, 0o444);
  let immutable = false;
  const writable = () => {
    try {
      closeSync(openSync(path, "r+"));
      return true;
    } catch {
      return false;
    }
  };
  if (writable()) {
    immutable = Bun.spawnSync(["chattr", "+i", path]).exitCode === 0;
    if (!writable()) {
      return () => {
        Bun.spawnSync(["chattr", "-i", path]);
        chmodSync(path, 0o644);
      };
    }
    if (immutable) Bun.spawnSync(["chattr", "-i", path]);
    throw new Error(`cannot make ${path} read-only here (root without chattr?)`);
  }
  return () => chmodSync(path, 0o644);
}

if (provider === "sqlite") describe("SQLite: a read-only file, a file that cannot be opened", () => {
  test("read-only: /healthz says the database cannot be written and why; writes answer UNAVAILABLE, reads work", async () => {
    const fake = await startFakeProvider();
    const writableApp = await startTestApp();
    const scene = await setUp(writableApp, fake);
    const path = new URL(writableApp.database.url.replace(/^file:/, "file://")).pathname;
    // The app reopens the file once it is read-only (an open handle would stay writable).
    await writableApp.database.db.$queryRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
    const undo = makeReadOnly(path);
    const config = parseConfig({ NODE_ENV: "test", DATA_DIR: writableApp.config.dataDir, DATABASE_URL: writableApp.database.url });
    const database = await openDatabase(config.database.url, "sqlite", { timeoutMs: TIMEOUT_MS });
    try {
      const app = createApp({ config, db: database.db, encryptionKey: randomBytes(32), speech: speechFromConfig(config.speech, () => {}) });
      const { lines } = await consoleLinesDuring(async () => {
        const health = await app.handle(new Request("http://aiui.test/healthz"));
        expect(health.status).toBe(503);
        expect(await health.json()).toEqual({
          status: "error",
          database: "reachable",
          writable: false,
          reason: "database is read-only (SQLITE_READONLY)",
        });
        const signIn = await app.handle(
          new Request("http://aiui.test/graphql", {
            method: "POST",
            headers: { "content-type": "application/json", "x-aiui-csrf": "1" },
            body: JSON.stringify({ query: `mutation { signIn(input: { email: "ada@example.com", password: "correct horse battery" }) { id } }` }),
          }),
        );
        const result = (await signIn.json()) as { errors?: { message: string; extensions: { code: string } }[] };
        expect(result.errors?.[0]).toMatchObject({ message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: "UNAVAILABLE" } });
        expect(await database.db.user.count()).toBe(1);
      });
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(/^\[aiui\] database unavailable: database is read-only \(SQLITE_READONLY\) \(\w+\.\w+\)$/);
    } finally {
      await database.close();
      undo();
      await scene.app.close();
      await fake.stop();
    }
  }, 30_000);

  test("a file another process keeps locked: a write waits the busy timeout, then answers UNAVAILABLE (not INTERNAL)", async () => {
    const app = await startTestApp({ DATABASE_TIMEOUT_MS: String(TIMEOUT_MS) }, { databaseUrl: (url) => url });
    const ada = await app.signedUp("ada@example.com");
    expect((await ada.request(`mutation { createChat(input: { title: "Before" }) { id } }`)).errors).toBeUndefined();
    // Another process (SQLite as Bun bundles it) takes the write lock and keeps it until told to stop.
    const path = new URL(app.database.url.replace(/^file:/, "file://")).pathname;
    const other = Bun.spawn(
      ["bun", "-e", `const { Database } = require("bun:sqlite"); const db = new Database(${JSON.stringify(path)}); db.exec("BEGIN IMMEDIATE"); console.log("locked"); for await (const _ of console) break; db.exec("ROLLBACK");`],
      { stdin: "pipe", stdout: "pipe" },
    );
    const reader = other.stdout.getReader();
    let said = "";
    while (!said.includes("locked")) said += new TextDecoder().decode((await reader.read()).value);
    try {
      const { result, lines } = await consoleLinesDuring(async () => {
        const started = performance.now();
        const write = await ada.request(`mutation { createChat(input: { title: "Locked out" }) { id } }`);
        return { write, ms: performance.now() - started };
      });
      expect(result.write.errors?.[0]?.extensions?.code).toBe("UNAVAILABLE");
      // It waited for the lock (the busy timeout), and not past the database timeout.
      expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
      expect(result.ms).toBeLessThan(ANSWERED_WITHIN_MS);
      expect(lines).toEqual(["[aiui] database unavailable: database is locked (SQLITE_BUSY) (Chat.create)"]);
    } finally {
      other.stdin.write("done\n");
      other.stdin.end();
      await other.exited;
    }
    expect((await ada.request(`mutation { createChat(input: { title: "After" }) { id } }`)).errors).toBeUndefined();
    await app.close();
  }, 30_000);

  test("a file that cannot be opened: every request answers UNAVAILABLE in time, one log line each", async () => {
    const config = parseConfig({ NODE_ENV: "test", DATABASE_URL: "file:/nonexistent-aiui-dir/aiui.db" });
    const database = await openDatabase(config.database.url, "sqlite", { timeoutMs: TIMEOUT_MS });
    const app = createApp({ config, db: database.db, encryptionKey: randomBytes(32), speech: speechFromConfig(config.speech, () => {}) });
    const handle = (request: Request) => app.handle(request);
    const client = { request: (q: string, v: Record<string, unknown> = {}) => graphql(handle, q, v, "aiui_session=some-session") };
    const scene = {
      app: { handle, client: () => ({ request: (q: string, v?: Record<string, unknown>) => graphql(handle, q, v ?? {}, null) }) },
      ada: client,
      chatId: "c1",
      glassesToken: "aiui_gl_whatever",
    } as unknown as Scene;
    const lines = await expectAllUnavailable(scene);
    expectOneLinePerRequest(lines, /cannot open the database file/);
    await database.close().catch(() => {});
  }, 30_000);
});

async function graphql(handle: (r: Request) => Promise<Response>, query: string, variables: Record<string, unknown>, cookie: string | null) {
  const response = await handle(
    new Request("http://aiui.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-aiui-csrf": "1", ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ query, variables }),
    }),
  );
  return response.json();
}
