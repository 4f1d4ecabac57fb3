/**
 * One writer per chat, kept by the database rather than by one process's memory: two
 * app instances on one database (each with a connection pool of its own, as two server
 * processes would have) race sendMessage and regenerate to one chat. Exactly one wins
 * each time; the other gets CONFLICT with a sentence; the conversation is never
 * interleaved. And a title the user sets while the first message is being sent is never
 * replaced by the automatic one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { REPLY_IN_PROGRESS } from "../../server/src/generation/reply-errors.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { slowMessageInserts } from "../support/refusals.ts";
import { createChat, createModel, SEND, send, settled } from "../support/replies.ts";

const REGENERATE = `mutation($chatId: ID!) { regenerate(chatId: $chatId) { id status } }`;
const RENAME = `mutation($id: ID!, $title: String!) { renameChat(id: $id, title: $title) { title } }`;
const TRIALS = 20;

let a: TestApp;
let b: TestApp;
let fake: FakeProvider;
let adaOnA: TestClient;
let adaOnB: TestClient;
let modelId: string;
beforeAll(async () => {
  fake = await startFakeProvider();
  // Long enough that the winner is still writing when the loser arrives.
  fake.script("slow", { text: "a reply that takes its time", delayMsPerToken: 40 });
  a = await startTestApp();
  // SQLite is one process's file: a second process would be refused ("database is locked"),
  // so there both requests go to one instance, through the same database-kept claim.
  b = a.database.provider === "sqlite" ? a : await startTestApp({}, { instanceOf: a });
  adaOnA = await a.signedUp("ada@example.com");
  adaOnB = b.client();
  adaOnB.cookie = adaOnA.cookie;
  modelId = await createModel(adaOnA, fake.url, { providerModelId: "slow" });
});
afterAll(async () => {
  if (b !== a) await b.close();
  await a.close();
  await fake.stop();
});

const conversation = (chatId: string) =>
  a.db.message.findMany({ where: { chatId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { role: true, content: true, status: true } });

function oneWinner(results: { errors?: { message: string; extensions?: { code?: string } }[] }[]) {
  const losers = results.filter((r) => r.errors);
  expect(losers).toHaveLength(1);
  expect(losers[0]!.errors![0]).toMatchObject({ message: REPLY_IN_PROGRESS, extensions: { code: "CONFLICT" } });
  return results.indexOf(results.find((r) => !r.errors)!);
}

describe("two instances on one database", () => {
  test(`racing sendMessage to one chat: one wins, the other gets CONFLICT, never interleaved (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const chatId = await createChat(adaOnA, modelId);
      const results = await Promise.all([
        adaOnA.request(SEND, { chatId, content: "asked on A" }),
        adaOnB.request(SEND, { chatId, content: "asked on B" }),
      ]);
      const winner = oneWinner(results);
      const reply = results[winner]!.data!.sendMessage.reply.id;
      await settled(winner === 0 ? a : b, reply);
      expect(await conversation(chatId)).toEqual([
        { role: "USER", content: winner === 0 ? "asked on A" : "asked on B", status: "COMPLETE" },
        { role: "ASSISTANT", content: "a reply that takes its time", status: "COMPLETE" },
      ]);
    }
  }, 120_000);

  test(`racing regenerate in one chat: one wins, the other gets CONFLICT, the old reply is replaced once (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const chatId = await createChat(adaOnA, modelId);
      await settled(a, (await send(adaOnA, chatId, "tell me twice")).reply.id);
      const results = await Promise.all([adaOnA.request(REGENERATE, { chatId }), adaOnB.request(REGENERATE, { chatId })]);
      const winner = oneWinner(results);
      await settled(winner === 0 ? a : b, results[winner]!.data!.regenerate.id);
      expect(await conversation(chatId)).toEqual([
        { role: "USER", content: "tell me twice", status: "COMPLETE" },
        { role: "ASSISTANT", content: "a reply that takes its time", status: "COMPLETE" },
      ]);
    }
  }, 120_000);

  test("sendMessage racing regenerate: one wins, and the chat stays a conversation", async () => {
    for (let trial = 0; trial < TRIALS / 2; trial++) {
      const chatId = await createChat(adaOnA, modelId);
      await settled(a, (await send(adaOnA, chatId, "first question")).reply.id);
      const results = await Promise.all([adaOnA.request(SEND, { chatId, content: "second question" }), adaOnB.request(REGENERATE, { chatId })]);
      const winner = oneWinner(results);
      await settled(winner === 0 ? a : b, winner === 0 ? results[0]!.data!.sendMessage.reply.id : results[1]!.data!.regenerate.id);
      const reply = { role: "ASSISTANT", content: "a reply that takes its time", status: "COMPLETE" } as const;
      expect(await conversation(chatId)).toEqual([
        { role: "USER", content: "first question", status: "COMPLETE" },
        reply,
        ...(winner === 0 ? [{ role: "USER", content: "second question", status: "COMPLETE" } as const, reply] : []),
      ]);
    }
  }, 120_000);
});

describe("titles", () => {
  test("renaming a chat while its first message is being sent keeps the user's title", async () => {
    // Widens the moment between the send reading the chat and writing its title (not on SQLite, see slowMessageInserts).
    const restore = await slowMessageInserts(a.database, 200);
    try {
      for (let trial = 0; trial < 5; trial++) {
        const chatId = await createChat(adaOnA, modelId);
        const sending = send(adaOnA, chatId, "What is the tallest mountain on Earth?");
        if (a.database.provider !== "sqlite") await Bun.sleep(100);
        const renamed = await adaOnA.data(RENAME, { id: chatId, title: "Mountains" });
        expect(renamed.renameChat.title).toBe("Mountains");
        await settled(a, (await sending).reply.id);
        expect((await a.db.chat.findUniqueOrThrow({ where: { id: chatId } })).title).toBe("Mountains");
      }
    } finally {
      await restore();
    }
  }, 60_000);
});
