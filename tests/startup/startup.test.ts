/**
 * The start path as a new user runs it: a real `bun server/src/main.ts` process on an
 * empty data folder, no .env. This test is about the process and the network, so it
 * uses a real port.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "aiui-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts the server and resolves once it logs its address; returns the log so far and a stopper. */
async function startServer(env: Record<string, string>) {
  const child = Bun.spawn(["bun", "server/src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", PORT: "0", DATA_DIR: dataDir, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  const reader = child.stdout.getReader();
  const deadline = Date.now() + 20_000;
  while (!/serving on http:\/\/localhost:(\d+)/.test(log)) {
    if (Date.now() > deadline) throw new Error(`server did not start:\n${log}\n${await new Response(child.stderr).text()}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited:\n${log}\n${await new Response(child.stderr).text()}`);
    log += new TextDecoder().decode(value);
  }
  const port = Number(log.match(/serving on http:\/\/localhost:(\d+)/)![1]);
  return {
    log,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    },
  };
}

test("first start on an empty data folder: migrates SQLite, generates the key once, serves /healthz and /graphql", async () => {
  const first = await startServer({});
  expect(first.log).toContain("applied migration");
  expect(first.log).toContain("generated one into");
  const keyFile = join(dataDir, "encryption.key");
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  expect(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64").length).toBe(32);
  expect(statSync(join(dataDir, "aiui.db")).isFile()).toBe(true);

  expect(await (await fetch(`${first.base}/healthz`)).json()).toEqual({ status: "ok", database: "reachable", writable: true });
  const signUp = await fetch(`${first.base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-aiui-csrf": "1" },
    body: JSON.stringify({ query: `mutation { signUp(input: { email: "first@example.com", password: "long enough pw" }) { role } }` }),
  });
  expect(await signUp.json()).toEqual({ data: { signUp: { role: "ADMIN" } } });
  expect(signUp.headers.get("set-cookie")).toContain("HttpOnly");
  await first.stop();

  const keyBefore = readFileSync(keyFile, "utf8");
  const second = await startServer({});
  expect(second.log).not.toContain("applied migration");
  expect(second.log).not.toContain("generated one into");
  expect(readFileSync(keyFile, "utf8")).toBe(keyBefore);
  await second.stop();
}, 60_000);

test.each([
  ["PORT", "eighty", "PORT must be a whole number"],
  ["DATABASE_URL", "oracle://db", "DATABASE_URL must start with file:"],
  ["ENCRYPTION_KEY", "short", "ENCRYPTION_KEY must be 32 bytes"],
  ["SIGNUP_OPEN", "maybe", "SIGNUP_OPEN must be true or false"],
])("a bad %s stops start-up with a message naming it", async (variable, value, message) => {
  const child = Bun.spawn(["bun", "server/src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH!, DATA_DIR: dataDir, [variable]: value },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await child.exited).toBe(1);
  const stderr = await new Response(child.stderr).text();
  expect(stderr).toContain(message);
  expect(stderr).not.toMatch(/at \w+ \(/);
});
