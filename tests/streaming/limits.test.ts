/**
 * REPLY_MAX_CHARS: a reply cannot grow without bound (a 50 MB reply was once stored and
 * served whole). At the cap generation stops, the provider request is aborted, and the
 * reply ends FAILED saying it was too long, with its text up to the cap kept.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseConfig } from "../../server/src/env.ts";
import { replyTooLong } from "../../server/src/generation/reply-errors.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled } from "../support/replies.ts";
import { REPLY_STREAM } from "../support/streams.ts";

const CAP = 50;
let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp({ REPLY_MAX_CHARS: String(CAP) });
  ada = await app.signedUp("ada@example.com");
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

test("a reply past the cap stops there: FAILED 'too long', exactly the cap's text stored and shown, the provider request aborted", async () => {
  const endless = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
  const { chatId } = await modelAndChat(ada, fake.url);
  fake.scriptNext({ text: endless, delayMsPerToken: 2 });
  const requestsBefore = fake.requests.length;
  const sent = await send(ada, chatId, "never stop talking");
  const events = (await ada.stream(REPLY_STREAM, { id: sent.reply.id })).map((e) => e.data!.replyStream);

  const reply = await settled(app, sent.reply.id);
  expect(reply.status).toBe("FAILED");
  expect(reply.error).toBe(replyTooLong(CAP));
  expect(reply.error).toBe(`The reply reached ${CAP} characters, the most a reply may have, so it was stopped there. Ask for a shorter answer, or in parts.`);
  expect(reply.content).toBe(endless.slice(0, CAP));
  expect(events.map((e) => e.delta).join("")).toBe(endless.slice(0, CAP));
  expect(events.at(-1)).toMatchObject({ done: true, status: "FAILED", error: replyTooLong(CAP) });

  const request = fake.requests.slice(requestsBefore).find((r) => r.path === "/v1/chat/completions")!;
  await Bun.sleep(50);
  expect(request.aborted).toBe(true);
});

test("a reply of exactly the cap is complete", async () => {
  const exact = "x".repeat(CAP);
  const { chatId } = await modelAndChat(ada, fake.url);
  fake.scriptNext({ tokens: [exact.slice(0, 20), exact.slice(20)] });
  const sent = await send(ada, chatId, "fifty please");
  expect(await settled(app, sent.reply.id)).toMatchObject({ status: "COMPLETE", error: null, content: exact });
});

test("by default the cap is 1,000,000 characters (about 1 MB of text), and a bad value stops start-up", () => {
  expect(parseConfig({}).replies.maxReplyChars).toBe(1_000_000);
  expect(replyTooLong(1_000_000)).toContain("1,000,000 characters");
  expect(() => parseConfig({ REPLY_MAX_CHARS: "lots" })).toThrow("REPLY_MAX_CHARS must be a whole number");
});
