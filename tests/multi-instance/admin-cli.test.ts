/**
 * `bun run admin reset-password --password-stdin` on a server that remembers sessions: with
 * REDIS_URL the command tells the running instances, which sign the account's sessions out at
 * once instead of within their session cache's minute.
 *
 * Runs in the PostgreSQL pass of `bun run test` with TEST_REDIS_URL (like redis.test.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestApp, type TestApp } from "../support/app.ts";

const CLI = join(import.meta.dir, "..", "..", "server", "src", "admin-cli.ts");
const redisUrl = process.env.TEST_REDIS_URL;

let app: TestApp;
beforeAll(async () => {
  if (!redisUrl) throw new Error("TEST_REDIS_URL must name a Redis server for this test");
  app = await startTestApp({ REDIS_URL: redisUrl });
  await app.services.accounts.identity.ready();
});
afterAll(() => app?.close());

test("a password set from the command line signs the account out of a running server at once", async () => {
  const ada = await app.signedUp("ada@example.com");
  // The server now remembers this session (and would for a minute without being told).
  expect((await ada.data(`{ viewer { email } }`)).viewer.email).toBe("ada@example.com");
  const child = Bun.spawn(["bun", CLI, "reset-password", "ada@example.com", "--password-stdin"], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", DATABASE_URL: app.database.url, DATA_DIR: app.config.dataDir, REDIS_URL: redisUrl! },
    stdin: new Blob(["chosen on the server\n"]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  const deadline = Date.now() + 5_000;
  let viewer: unknown = "still signed in";
  while (Date.now() < deadline && viewer !== null) {
    viewer = (await ada.data(`{ viewer { email } }`)).viewer;
    if (viewer !== null) await Bun.sleep(50);
  }
  expect(viewer).toBeNull();
}, 30_000);
