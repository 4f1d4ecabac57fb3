/**
 * Two real server processes on loopback sharing one PostgreSQL database and Redis:
 * a reply generated on instance A is followed from instance B (joining late, over SSE
 * and WebSocket, with no gap and no duplicate), and a cancel sent to B stops the
 * provider request on A.
 *
 * Runs only in the PostgreSQL pass of `bun run test` (tests/run.ts) and needs
 * TEST_REDIS_URL (.ci/run sets it). Anywhere else it fails instead of passing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Client } from "graphql-ws";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import type { GraphQLResult } from "../support/app.ts";
import { freshDatabase, type TestDatabase, testProvider } from "../support/database.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { REPLY_STREAM, replyEvents, type Stamped, sseSubscribe, wsClient, wsSubscribe } from "../support/streams.ts";

const root = resolve(import.meta.dir, "../..");
const LONG = Array.from({ length: 50 }, (_, i) => `token${i}`).join(" ");

interface Instance {
  base: string;
  log: () => string;
  stop(): Promise<number>;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = Bun.spawn(["bun", "server/src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", HOST: "127.0.0.1", PORT: "0", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  void (async () => {
    for await (const chunk of child.stderr) log += decoder.decode(chunk);
  })();
  const deadline = Date.now() + 30_000;
  while (!/serving on http:\/\/127\.0\.0\.1:(\d+)/.test(log)) {
    if (Date.now() > deadline) throw new Error(`server did not start:\n${log}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited:\n${log}`);
    log += decoder.decode(value);
  }
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      log += decoder.decode(value);
    }
  })();
  const port = Number(log.match(/serving on http:\/\/127\.0\.0\.1:(\d+)/)![1]);
  return {
    base: `http://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      child.kill("SIGTERM");
      return child.exited;
    },
  };
}

/** A browser-like client over real HTTP: one cookie, usable against either instance. */
class HttpClient {
  cookie: string | null = null;
  async request<T = Record<string, any>>(base: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> {
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", [CSRF_HEADER]: "1", ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const setCookie = response.headers.getSetCookie()[0];
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    return (await response.json()) as GraphQLResult<T>;
  }
  async data<T = Record<string, any>>(base: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const result = await this.request<T>(base, query, variables);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }
}

let database: TestDatabase;
let fake: FakeProvider;
let a: Instance;
let b: Instance;
let dataDir: string;
const ada = new HttpClient();
let chatId: string;
const sockets: Client[] = [];

beforeAll(async () => {
  const redisUrl = process.env.TEST_REDIS_URL;
  if (testProvider() !== "postgresql" || !redisUrl) {
    throw new Error(
      "The multi-instance test needs PostgreSQL and Redis: it runs in the PostgreSQL pass of `bun run test` with TEST_POSTGRES_URL and TEST_REDIS_URL set (see .ci/run).",
    );
  }
  database = await freshDatabase();
  fake = await startFakeProvider();
  dataDir = mkdtempSync(join(tmpdir(), "aiui-multi-"));
  const shared = {
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    DATA_DIR: dataDir,
    // The fake provider listens on loopback.
    PROVIDER_ALLOW_PRIVATE_NETWORKS: "true",
  };
  [a, b] = await Promise.all([startInstance(shared), startInstance(shared)]);

  await ada.data(a.base, `mutation { signUp(input: { email: "ada@example.com", password: "correct horse battery" }) { id } }`);
  const model = await ada.data(a.base, `mutation($url: String!) { createModel(input: { name: "Fake", providerModelId: "echo", baseUrl: $url, apiKey: "sk-x" }) { id } }`, {
    url: fake.url,
  });
  const chat = await ada.data(b.base, `mutation($m: ID) { createChat(input: { modelId: $m }) { id } }`, { m: model.createModel.id });
  chatId = chat.createChat.id;
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  const exits = await Promise.all([a?.stop(), b?.stop()]);
  await fake?.stop();
  await database?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  expect(exits.filter((code) => code !== undefined && code !== 0)).toEqual([]);
  // Nothing went wrong on either side, quietly.
  expect(`${a?.log() ?? ""}${b?.log() ?? ""}`).not.toMatch(/error|failed|unreachable/i);
});

async function sendOn(base: string, content: string) {
  const { sendMessage } = await ada.data(base, `mutation($c: ID!, $t: String!) { sendMessage(chatId: $c, content: $t) { reply { id } } }`, { c: chatId, t: content });
  return sendMessage.reply.id as string;
}

async function untilText(events: Stamped<Record<string, any>>[], length: number) {
  const deadline = Date.now() + 10_000;
  while (events.map((e) => e.result.data?.replyStream.delta ?? "").join("").length < length) {
    if (Date.now() > deadline) throw new Error("no text arrived");
    await Bun.sleep(5);
  }
  return events.map((e) => e.result.data!.replyStream.delta).join("");
}

test("a reply generated on A is followed from B, joining late over SSE and WebSocket: no gap, no duplicate", async () => {
  fake.scriptNext({ text: LONG, delayMsPerToken: 30 });
  const replyId = await sendOn(a.base, "tell me a long story");
  const onA = sseSubscribe(a.base, ada.cookie, REPLY_STREAM, { id: replyId });
  const seenOnA = await untilText(onA.events, 60);

  const sseOnB = sseSubscribe(b.base, ada.cookie, REPLY_STREAM, { id: replyId });
  const socket = wsClient(b.base, ada.cookie);
  sockets.push(socket);
  const wsOnB = wsSubscribe(socket, REPLY_STREAM, { id: replyId });

  const [fromA, fromSse, fromWs] = [replyEvents(await onA.done), replyEvents(await sseOnB.done), replyEvents(await wsOnB.done)];
  for (const events of [fromA, fromSse, fromWs]) {
    expect(events.text).toBe(LONG);
    expect(events.last).toMatchObject({ done: true, status: "COMPLETE" });
  }
  // B's followers joined late: their first event holds at least what A's follower had seen, then it streamed on.
  for (const events of [fromSse, fromWs]) {
    expect(events.list[0]!.delta.startsWith(seenOnA)).toBe(true);
    expect(events.list.length).toBeGreaterThan(10);
  }
  const stored = await database.db.message.findUniqueOrThrow({ where: { id: replyId } });
  expect(stored).toMatchObject({ status: "COMPLETE", content: LONG });
}, 30_000);

test("a cancel sent to B stops the provider request on A; the reply keeps its text as CANCELLED", async () => {
  fake.scriptNext({ text: LONG, delayMsPerToken: 30 });
  const requestsBefore = fake.requests.length;
  const replyId = await sendOn(a.base, "another long one");
  const onA = sseSubscribe(a.base, ada.cookie, REPLY_STREAM, { id: replyId });
  await untilText(onA.events, 40);

  const { cancelReply } = await ada.data(b.base, `mutation($id: ID!) { cancelReply(messageId: $id) { status content } }`, { id: replyId });
  expect(cancelReply.status).toBe("CANCELLED");
  expect(cancelReply.content.length).toBeGreaterThanOrEqual(40);
  expect(LONG.startsWith(cancelReply.content)).toBe(true);

  const request = fake.requests.slice(requestsBefore).find((r) => r.path === "/v1/chat/completions")!;
  await Bun.sleep(50);
  expect(request.aborted).toBe(true);
  const events = replyEvents(await onA.done);
  expect(events.text).toBe(cancelReply.content);
  expect(events.last).toMatchObject({ status: "CANCELLED", done: true });
}, 30_000);

test("sent on B, followed on A from the first token", async () => {
  fake.scriptNext({ text: "short one across instances", delayMsPerToken: 20 });
  const replyId = await sendOn(b.base, "the other way round");
  const events = replyEvents(await sseSubscribe(a.base, ada.cookie, REPLY_STREAM, { id: replyId }).done);
  expect(events.text).toBe("short one across instances");
  expect(events.last).toMatchObject({ status: "COMPLETE" });
}, 30_000);

test("a sign-out on one instance is honoured by the other at once, though it remembered the session", async () => {
  const bea = new HttpClient();
  await bea.data(a.base, `mutation { signUp(input: { email: "bea@example.com", password: "correct horse battery" }) { id } }`);
  // B resolves the session and remembers it.
  expect((await bea.data(b.base, `{ viewer { email } }`)).viewer.email).toBe("bea@example.com");
  await bea.data(b.base, `mutation { updateSettings(input: { displayName: "Beatrice" }) { id } }`);
  // A remembered the user from sign-up; B's change reaches it within moments.
  const changedAt = Date.now();
  while ((await bea.data(a.base, `{ viewer { displayName } }`)).viewer.displayName !== "Beatrice" && Date.now() - changedAt < 5_000) await Bun.sleep(20);
  expect((await bea.data(a.base, `{ viewer { displayName } }`)).viewer.displayName).toBe("Beatrice");
  const replay = new HttpClient();
  replay.cookie = bea.cookie;
  expect((await replay.data(b.base, `{ viewer { email } }`)).viewer).not.toBeNull();
  await bea.data(a.base, `mutation { signOut }`);
  // Redis delivers the invalidation in milliseconds: B refuses long before its cache's minute is up.
  const signedOutAt = Date.now();
  while ((await replay.data(b.base, `{ viewer { email } }`)).viewer !== null && Date.now() - signedOutAt < 5_000) await Bun.sleep(20);
  expect((await replay.data(b.base, `{ viewer { email } }`)).viewer).toBeNull();
  expect(Date.now() - signedOutAt).toBeLessThan(5_000);
});

test("glasses settings and a model switched off on one instance are used by the other's next Noa request, though it remembered them", async () => {
  const { createGlassesToken } = await ada.data(a.base, `mutation { createGlassesToken(name: "Frame") { secret } }`);
  const { models } = await ada.data(a.base, `{ models { id name } }`);
  const first = models.find((m: { name: string }) => m.name === "Fake").id as string;
  fake.script("second", { text: "from the second model" });
  const second = await ada.data(a.base, `mutation($url: String!) { createModel(input: { name: "Second", providerModelId: "second", baseUrl: $url, apiKey: "sk-x" }) { id } }`, {
    url: fake.url,
  });
  const choose = (modelId: string) =>
    ada.data(a.base, `mutation($input: GlassesSettingsInput!) { updateGlassesSettings(input: $input) { model { id } } }`, { input: { modelId } });
  const ask = async (base: string) => {
    const form = new FormData();
    form.append("prompt", "hello");
    form.append("messages", "[]");
    form.append("location", "");
    form.append("time", "2025-07-02 11:29:48.054846");
    const response = await fetch(`${base}/mm/mm/`, { method: "POST", headers: { Authorization: `Bearer ${createGlassesToken.secret}` }, body: form });
    expect(response.status).toBe(200);
    return (await response.json()) as { message: string; debug: { model?: string; error?: { code: string } } };
  };
  /** B's answers until `done` says it changed, for at most 5 s (Redis delivers in milliseconds; B's memory lasts a minute). */
  const askUntil = async (done: (answer: Awaited<ReturnType<typeof ask>>) => boolean) => {
    const since = Date.now();
    let answer = await ask(b.base);
    while (!done(answer) && Date.now() - since < 5_000) {
      await Bun.sleep(20);
      answer = await ask(b.base);
    }
    return answer;
  };

  await choose(first);
  expect((await ask(b.base)).message).toBe("You said: hello");
  // B remembers the setup now; the change on A reaches it.
  await choose(second.createModel.id);
  expect((await askUntil((answer) => answer.debug.model === "second")).message).toBe("from the second model");
  await ada.data(a.base, `mutation($id: ID!) { updateModel(id: $id, input: { active: false }) { id } }`, { id: second.createModel.id });
  expect((await askUntil((answer) => answer.debug.error !== undefined)).debug.error?.code).toBe("MODEL_SWITCHED_OFF");
});
