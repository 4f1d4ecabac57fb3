/**
 * One writer per chat, kept by the database rather than by one process's memory: two
 * app instances on one database (each with a connection pool of its own, as two server
 * processes would have) race sendMessage, regenerate and editMessage to one chat. Exactly
 * one wins each time; the other gets CONFLICT with a sentence; the conversation is never
 * interleaved, and a lost race adds no version. And a title the user sets while the first message is being sent is never
 * replaced by the automatic one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { REPLY_IN_PROGRESS } from "../../server/src/generation/reply-errors.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { slowMessageInserts } from "../support/refusals.ts";
import { createChat, createModel, SEND, send, settled } from "../support/replies.ts";

const REGENERATE = `mutation($chatId: ID!) { regenerate(chatId: $chatId) { id status } }`;
const EDIT = `mutation($messageId: ID!, $content: String!) { editMessage(messageId: $messageId, content: $content) { message { id } reply { id } } }`;
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
/** Every message with the one it follows, by content (replies: their question's content and the reply's own). */
const tree = async (chatId: string) => {
  const rows = await a.db.message.findMany({ where: { chatId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true, parentId: true, role: true } });
  return rows.map((row) => ({ role: row.role, parent: rows.findIndex((other) => other.id === row.parentId) }));
};
const leafOf = async (chatId: string) => (await a.db.chat.findUniqueOrThrow({ where: { id: chatId } })).currentLeafId;

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

  test(`racing regenerate in one chat: one wins, the other gets CONFLICT, one new version of the reply (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const chatId = await createChat(adaOnA, modelId);
      await settled(a, (await send(adaOnA, chatId, "tell me twice")).reply.id);
      const results = await Promise.all([adaOnA.request(REGENERATE, { chatId }), adaOnB.request(REGENERATE, { chatId })]);
      const winner = oneWinner(results);
      const regenerated = results[winner]!.data!.regenerate.id;
      await settled(winner === 0 ? a : b, regenerated);
      expect(await conversation(chatId)).toEqual([
        { role: "USER", content: "tell me twice", status: "COMPLETE" },
        { role: "ASSISTANT", content: "a reply that takes its time", status: "COMPLETE" },
        { role: "ASSISTANT", content: "a reply that takes its time", status: "COMPLETE" },
      ]);
      // The earlier reply stays as the first version; the winner's is shown.
      expect(await tree(chatId)).toEqual([
        { role: "USER", parent: -1 },
        { role: "ASSISTANT", parent: 0 },
        { role: "ASSISTANT", parent: 0 },
      ]);
      expect(await leafOf(chatId)).toBe(regenerated);
    }
  }, 120_000);

  test(`racing editMessage on one question: one wins, the other gets CONFLICT, one new version (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const chatId = await createChat(adaOnA, modelId);
      const first = await send(adaOnA, chatId, "first wording");
      await settled(a, first.reply.id);
      const results = await Promise.all([
        adaOnA.request(EDIT, { messageId: first.message.id, content: "edited on A" }),
        adaOnB.request(EDIT, { messageId: first.message.id, content: "edited on B" }),
      ]);
      const winner = oneWinner(results);
      const edited = results[winner]!.data!.editMessage;
      await settled(winner === 0 ? a : b, edited.reply.id);
      const reply = { role: "ASSISTANT", content: "a reply that takes its time", status: "COMPLETE" } as const;
      expect(await conversation(chatId)).toEqual([
        { role: "USER", content: "first wording", status: "COMPLETE" },
        reply,
        { role: "USER", content: winner === 0 ? "edited on A" : "edited on B", status: "COMPLETE" },
        reply,
      ]);
      expect(await tree(chatId)).toEqual([
        { role: "USER", parent: -1 },
        { role: "ASSISTANT", parent: 0 },
        { role: "USER", parent: -1 },
        { role: "ASSISTANT", parent: 2 },
      ]);
      expect(await leafOf(chatId)).toBe(edited.reply.id);
    }
  }, 120_000);

  test("editMessage racing sendMessage: one wins, nothing of the other is written", async () => {
    for (let trial = 0; trial < TRIALS / 2; trial++) {
      const chatId = await createChat(adaOnA, modelId);
      const first = await send(adaOnA, chatId, "first question");
      await settled(a, first.reply.id);
      const results = await Promise.all([
        adaOnA.request(SEND, { chatId, content: "second question" }),
        adaOnB.request(EDIT, { messageId: first.message.id, content: "first question, edited" }),
      ]);
      const winner = oneWinner(results);
      const won = winner === 0 ? results[0]!.data!.sendMessage : results[1]!.data!.editMessage;
      await settled(winner === 0 ? a : b, won.reply.id);
      const reply = { role: "ASSISTANT", content: "a reply that takes its time", status: "COMPLETE" } as const;
      expect(await conversation(chatId)).toEqual([
        { role: "USER", content: "first question", status: "COMPLETE" },
        reply,
        { role: "USER", content: winner === 0 ? "second question" : "first question, edited", status: "COMPLETE" },
        reply,
      ]);
      expect((await tree(chatId))[2]).toEqual({ role: "USER", parent: winner === 0 ? 1 : -1 });
      expect(await leafOf(chatId)).toBe(won.reply.id);
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
        // The regenerated reply is a second version of the first one.
        ...(winner === 0 ? [{ role: "USER", content: "second question", status: "COMPLETE" } as const] : []),
        reply,
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
