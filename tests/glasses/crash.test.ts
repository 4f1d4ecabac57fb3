/**
 * A server killed (kill -9) while a glasses request waits for the model: the user's words
 * were saved together with a pending reply, so after the restart the chat shows the
 * question and a FAILED reply saying what happened, never words without an answer.
 * A real server process, restarted on the same database; checked through GraphQL.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INTERRUPTED } from "../../server/src/generation/reply-errors.ts";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import { freshDatabase, type TestDatabase } from "../support/database.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { type ServerProcess, startServerProcess } from "../support/server-process.ts";

let database: TestDatabase;
let fake: FakeProvider;
let dataDir: string;
let env: Record<string, string>;
const running: ServerProcess[] = [];

beforeAll(async () => {
  database = await freshDatabase();
  fake = await startFakeProvider();
  // A model that takes the request and never answers.
  fake.script("silent", { hangBeforeFirstToken: true });
  dataDir = mkdtempSync(join(tmpdir(), "aiui-crash-"));
  env = { DATABASE_URL: database.url, DATA_DIR: dataDir, ENCRYPTION_KEY: randomBytes(32).toString("base64") };
});
afterAll(async () => {
  for (const server of running) await server.stop();
  await fake.stop();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const server = await startServerProcess(env);
  running.push(server);
  return server;
}

let cookie = "";
async function graphql(base: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", [CSRF_HEADER]: "1", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const setCookie = response.headers.getSetCookie()[0];
  if (setCookie) cookie = setCookie.split(";")[0]!;
  const result = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!;
}

const CHATS = `{ chats(first: 5) { edges { node { source messages(last: 10) { edges { node { role content status error } } } } } } }`;
const messagesOf = (data: Record<string, any>) =>
  data.chats.edges.flatMap((chat: any) => chat.node.messages.edges.map((m: any) => m.node)) as { role: string; content: string; status: string; error: string | null }[];

test("killed mid-request: after the restart the question has a FAILED reply saying what happened", async () => {
  const first = await start();
  await graphql(first.base, `mutation { signUp(input: { email: "ada@example.com", password: "correct horse battery" }) { id } }`);
  await graphql(first.base, `mutation($url: String!) { createModel(input: { name: "Silent", providerModelId: "silent", baseUrl: $url }) { id } }`, { url: fake.url });
  const { createGlassesToken } = await graphql(first.base, `mutation { createGlassesToken(name: "Frame") { secret } }`);

  const form = new FormData();
  form.append("prompt", "what am I looking at?");
  form.append("messages", "[]");
  form.append("location", "");
  form.append("time", "2025-07-02 11:29:48.054846");
  const request = fetch(`${first.base}/mm/mm/`, { method: "POST", headers: { Authorization: `Bearer ${createGlassesToken.secret}` }, body: form }).then(
    (response) => response.status,
    () => "connection lost",
  );
  // Mid-request: the model has been asked.
  const deadline = Date.now() + 10_000;
  while (!fake.requests.some((r) => r.path === "/v1/chat/completions")) {
    if (Date.now() > deadline) throw new Error(`the model was never asked:\n${first.log()}`);
    await Bun.sleep(20);
  }
  expect(await first.kill()).not.toBe(0);
  running.splice(running.indexOf(first), 1);
  expect(await request).toBe("connection lost");

  const second = await start();
  expect(second.log()).toContain("marked 1 interrupted reply as failed");
  expect(messagesOf(await graphql(second.base, CHATS))).toEqual([
    { role: "USER", content: "what am I looking at?", status: "COMPLETE", error: null },
    { role: "ASSISTANT", content: "", status: "FAILED", error: INTERRUPTED },
  ]);
}, 60_000);
