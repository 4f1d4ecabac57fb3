/**
 * Replies whose writer is gone, with one instance and no restart: every reply being
 * written holds a lease (its checkpoint time, renewed by a heartbeat while no text
 * flows); the periodic sweep ends replies whose lease ran out, FAILED with a sentence
 * saying what happened, and frees their chat. A live reply, however quiet, keeps its lease.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { INTERRUPTED, REPLY_IN_PROGRESS } from "../../server/src/generation/reply-errors.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, SEND, send, settled } from "../support/replies.ts";

const LEASE_MS = 600;
let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp({ REPLY_LEASE_MS: String(LEASE_MS) });
  ada = await app.signedUp("ada@example.com");
  // Start-up as main.ts runs it: nothing left over yet; from here on the sweep runs every half lease.
  expect(await app.services.replies.recover()).toEqual([]);
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

test("a reply whose writer died is ended by the periodic sweep, without a restart, and its chat takes messages again", async () => {
  const { chatId } = await modelAndChat(ada, fake.url);
  const long = new Date(Date.now() - 60_000);
  // As a crashed instance leaves it: the question, and the reply claiming the chat with an old last sign of life.
  await app.db.message.create({ data: { chatId, role: "USER", content: "question", createdAt: long } });
  const dead = await app.db.message.create({
    data: { chatId, role: "ASSISTANT", content: "half an ans", status: "STREAMING", streamingChatId: chatId, createdAt: new Date(long.getTime() + 1), checkpointAt: long },
  });

  const deadline = Date.now() + 3 * LEASE_MS + 2000;
  let row = await app.db.message.findUniqueOrThrow({ where: { id: dead.id } });
  while (row.status === "STREAMING" && Date.now() < deadline) {
    await Bun.sleep(50);
    row = await app.db.message.findUniqueOrThrow({ where: { id: dead.id } });
  }
  expect(row).toMatchObject({ status: "FAILED", error: INTERRUPTED, content: "half an ans", streamingChatId: null });
  expect(INTERRUPTED).toMatch(/^The server stopped while this reply was being written, so it ends here\. Regenerate it or send your message again\.$/);

  const next = await send(ada, chatId, "are you there?");
  expect(await settled(app, next.reply.id)).toMatchObject({ status: "COMPLETE", content: "You said: are you there?" });
}, 15_000);

test("a live reply whose model stays silent for several leases keeps its lease: the sweep leaves it, it completes", async () => {
  const { chatId } = await modelAndChat(ada, fake.url);
  fake.scriptNext({ text: "worth the wait", firstTokenDelayMs: 4 * LEASE_MS });
  const sent = await send(ada, chatId, "think hard");
  await Bun.sleep(3 * LEASE_MS);
  const meanwhile = await app.db.message.findUniqueOrThrow({ where: { id: sent.reply.id } });
  expect(meanwhile.status).toBe("STREAMING");
  // Its lease is fresh: renewed by the heartbeat, since no text flowed to checkpoint.
  expect(Date.now() - meanwhile.checkpointAt!.getTime()).toBeLessThan(LEASE_MS);
  const second = await ada.request(SEND, { chatId, content: "too soon" });
  expect(second.errors?.[0]).toMatchObject({ message: REPLY_IN_PROGRESS, extensions: { code: "CONFLICT" } });
  expect(await settled(app, sent.reply.id)).toMatchObject({ status: "COMPLETE", content: "worth the wait" });
}, 15_000);
