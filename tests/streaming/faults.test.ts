/**
 * Provider faults: each leaves the reply FAILED with a short error a user can act on,
 * keeps the user's message and whatever text arrived, tells the followers, and leaves
 * the server serving.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type Behaviour, type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled } from "../support/replies.ts";
import { REPLY_STREAM, replyEvents, sseSubscribe } from "../support/streams.ts";

let app: TestApp;
let fake: FakeProvider;
let keyed: FakeProvider;
let ada: TestClient;
let base: string;
let closedPortUrl: string;
beforeAll(async () => {
  fake = await startFakeProvider();
  keyed = await startFakeProvider({ apiKey: "sk-right" });
  app = await startTestApp({ PROVIDER_FIRST_TOKEN_TIMEOUT_MS: "400", PROVIDER_IDLE_TIMEOUT_MS: "400" });
  base = await app.listen();
  ada = await app.signedUp("ada@example.com");
  // A port that was just free: nothing listens there.
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  closedPortUrl = `http://127.0.0.1:${server.port}/v1`;
  await server.stop(true);
});
afterAll(async () => {
  await app.close();
  await fake.stop();
  await keyed.stop();
});

interface Fault {
  name: string;
  model?: () => Record<string, unknown>;
  behaviour?: Behaviour;
  error: RegExp;
  partial: string;
  /** Whether the provider took the request (then usage is estimated), and whether we hung up on it. */
  accepted: boolean;
  aborted?: boolean;
}

const TEXT = "alpha bravo charlie delta echo";
const faults: Fault[] = [
  { name: "connection refused", model: () => ({ baseUrl: closedPortUrl }), error: /^Could not connect to 127\.0\.0\.1:\d+: connection refused\. Check the model's base URL/, partial: "", accepted: false },
  { name: "DNS failure", model: () => ({ baseUrl: "http://no-such-host.invalid/v1" }), error: /^Could not find the host no-such-host\.invalid\. Check the model's base URL\.$/, partial: "", accepted: false },
  { name: "timeout before the first token", behaviour: { hangBeforeFirstToken: true }, error: /^The model did not start answering within 0\.4 s\./, partial: "", accepted: true, aborted: true },
  { name: "stall mid-stream (idle timeout)", behaviour: { text: TEXT, stallAfterTokens: 2 }, error: /^The model stopped sending for 0\.4 s in the middle of its reply\. Try again\.$/, partial: "alpha bravo", accepted: true, aborted: true },
  { name: "401", model: () => ({ baseUrl: keyed.url, apiKey: "sk-wrong" }), error: /^The provider at 127\.0\.0\.1:\d+ rejected the API key \(401\)\. Check the model's API key\.$/, partial: "", accepted: false },
  { name: "404 unknown model", model: () => ({ providerModelId: "no-such-model" }), error: /^The provider at 127\.0\.0\.1:\d+ does not know the model "no-such-model" \(404\)\. Check the model id and base URL\.$/, partial: "", accepted: false },
  { name: "429 rate limited", behaviour: { error: { status: 429, retryAfterSeconds: 7 } }, error: /^Rate limited by the provider at 127\.0\.0\.1:\d+ \(429\)\. Wait 7 s and try again\.$/, partial: "", accepted: false },
  { name: "500", behaviour: { error: { status: 500 } }, error: /^The provider at 127\.0\.0\.1:\d+ had an internal error \(500\)\. Try again later\.$/, partial: "", accepted: false },
  { name: "malformed stream", behaviour: { text: TEXT, malformedAfterTokens: 2 }, error: /could not be read \(malformed stream\)\. Try again\.$/, partial: "alpha bravo", accepted: true },
  { name: "stream cut mid-way", behaviour: { text: TEXT, cutAfterTokens: 3 }, error: /^The connection to 127\.0\.0\.1:\d+ was lost in the middle of the reply\. Try again\.$/, partial: "alpha bravo charlie", accepted: true },
];

test.each(faults.map((f) => [f.name, f] as const))("%s: FAILED with a clear error, message and partial text kept", async (_name, fault) => {
  const { chatId } = await modelAndChat(ada, fake.url, fault.model?.() ?? {});
  if (fault.behaviour) fake.scriptNext(fault.behaviour);
  const requestsBefore = fake.requests.length;
  const sent = await send(ada, chatId, "please answer");
  const follower = sseSubscribe(base, ada.cookie, REPLY_STREAM, { id: sent.reply.id });

  const reply = await settled(app, sent.reply.id);
  expect(reply.status).toBe("FAILED");
  expect(reply.error).toMatch(fault.error);
  expect(reply.error!.length).toBeLessThan(200);
  expect(reply.error).not.toMatch(/sk-|at \w+ \(|\.ts:\d+/);
  expect(reply.content).toBe(fault.partial);
  expect(reply.latencyMs).not.toBeNull();
  if (fault.accepted) {
    expect(reply.usageEstimated).toBe(true);
    expect(reply.promptTokens).toBeGreaterThan(0);
  } else {
    expect(reply.promptTokens).toBeNull();
    expect(reply.cost).toBeNull();
  }
  const question = await app.db.message.findUniqueOrThrow({ where: { id: sent.message.id } });
  expect(question).toMatchObject({ content: "please answer", status: "COMPLETE" });
  if (fault.aborted) {
    const request = fake.requests.slice(requestsBefore).find((r) => r.path === "/v1/chat/completions");
    await Bun.sleep(20);
    expect(request?.aborted).toBe(true);
  }

  const events = replyEvents(await follower.done);
  expect(events.text).toBe(fault.partial);
  expect(events.last).toMatchObject({ done: true, status: "FAILED", error: reply.error });
});

test("after all that the server still serves, and the next message gets a reply", async () => {
  expect((await app.handle(new Request("http://aiui.test/healthz"))).status).toBe(200);
  const { chatId } = await modelAndChat(ada, fake.url);
  const sent = await send(ada, chatId, "still there?");
  expect(await settled(app, sent.reply.id)).toMatchObject({ status: "COMPLETE", content: "You said: still there?" });
});

test("a key that can no longer be decrypted fails the reply with a way out", async () => {
  const { modelId, chatId } = await modelAndChat(ada, fake.url);
  await app.db.aiModel.update({ where: { id: modelId }, data: { apiKeyCiphertext: "bm90IGEgc2VhbGVkIGtleQ==" } });
  const reply = await settled(app, (await send(ada, chatId, "hello")).reply.id);
  expect(reply).toMatchObject({ status: "FAILED", error: expect.stringContaining("could not be decrypted") });
});
