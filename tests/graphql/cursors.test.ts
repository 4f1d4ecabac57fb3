/**
 * Pagination cursors are signed for the viewer and the list they came from
 * (server/src/graphql/pages.ts): a cursor built from another user's message id, from an id
 * that does not exist, from another of one's own chats, or malformed in any way, gets the same
 * BAD_USER_INPUT "This cursor is not valid here." before any query runs, and nothing is logged.
 * Before, `messages(after:)` answered an existing foreign id differently from a missing one
 * (an existence oracle), and `GPC:N:1` was an INTERNAL error with a Prisma dump in the log.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

let app: TestApp;
let ada: TestClient;
let grace: TestClient;
let adaChat: string;
let adaOtherChat: string;
let graceChat: string;
let graceMessageIds: string[];

/** The format Pothos issued before: base64 of "GPC:" and a tagged value. */
const pothosCursor = (chunk: string) => Buffer.from(`GPC:${chunk}`).toString("base64");

async function chatWithMessages(client: TestClient, title: string, count: number): Promise<string> {
  const chat = (await client.data(`mutation($t: String) { createChat(input: { title: $t }) { id } }`, { t: title })).createChat.id;
  const chatRow = await app.db.chat.findUniqueOrThrow({ where: { id: chat } });
  // A linear conversation: each message follows the one before (the chat shows that branch).
  let parentId: string | null = null;
  for (let i = 0; i < count; i++) {
    const row: { id: string } = await app.db.message.create({
      data: { chatId: chatRow.id, parentId, role: i % 2 ? "ASSISTANT" : "USER", content: `${title} ${i}`, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) },
    });
    parentId = row.id;
  }
  await app.db.chat.update({ where: { id: chat }, data: { currentLeafId: parentId } });
  return chat;
}

const MESSAGES = `query($chat: ID!, $first: Int, $last: Int, $after: String, $before: String) {
  chat(id: $chat) { messages(first: $first, last: $last, after: $after, before: $before) {
    edges { cursor node { content } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } } }`;

beforeAll(async () => {
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
  grace = await app.signedUp("grace@example.com");
  adaChat = await chatWithMessages(ada, "Ada", 5);
  adaOtherChat = await chatWithMessages(ada, "Ada other", 2);
  graceChat = await chatWithMessages(grace, "Grace", 3);
  graceMessageIds = (await app.db.message.findMany({ where: { chatId: graceChat }, orderBy: { createdAt: "asc" } })).map((m) => m.id);
});
afterAll(() => app.close());

/** The whole answer and everything logged while it was computed. */
async function answerAndLog(client: TestClient, query: string, variables: Record<string, unknown>) {
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
  try {
    return { answer: await client.request(query, variables), logged };
  } finally {
    console.error = original;
  }
}

test("a cursor built from another user's message id answers exactly like one from an id that does not exist", async () => {
  const foreign = await answerAndLog(ada, MESSAGES, { chat: adaChat, first: 10, after: pothosCursor(`S:${graceMessageIds[0]}`) });
  const missing = await answerAndLog(ada, MESSAGES, { chat: adaChat, first: 10, after: pothosCursor("S:no-such-message") });
  expect(foreign.answer).toEqual(missing.answer);
  expect(foreign.answer.errors?.[0]).toMatchObject({ message: "This cursor is not valid here.", extensions: { code: "BAD_USER_INPUT", field: "after" } });
  expect(foreign.answer.data ?? null).toBeNull();
  expect([...foreign.logged, ...missing.logged]).toEqual([]);
});

test("malformed cursors are refused the same way, without an INTERNAL error or anything in the log", async () => {
  const malformed = [
    pothosCursor("N:1"),
    pothosCursor("J:[1,2]"),
    "GPC:N:1",
    "not a cursor",
    "",
    "a.b.c",
    `${Buffer.from(graceMessageIds[0]!).toString("base64url")}.${"A".repeat(22)}`,
  ];
  for (const cursor of malformed) {
    for (const direction of [{ first: 2, after: cursor }, { last: 2, before: cursor }]) {
      const { answer, logged } = await answerAndLog(ada, MESSAGES, { chat: adaChat, ...direction });
      expect({ cursor, error: answer.errors?.[0] }).toEqual({
        cursor,
        error: expect.objectContaining({ message: "This cursor is not valid here.", extensions: { code: "BAD_USER_INPUT", field: "after" in direction ? "after" : "before" } }),
      });
      expect(logged).toEqual([]);
    }
  }
});

test("a cursor is valid only in the list it came from: not in another of one's chats, not for another user", async () => {
  const own = await ada.data(MESSAGES, { chat: adaChat, first: 2 });
  const cursor = own.chat.messages.pageInfo.endCursor as string;
  const elsewhere = await ada.request(MESSAGES, { chat: adaOtherChat, first: 2, after: cursor });
  expect(elsewhere.errors?.[0]?.message).toBe("This cursor is not valid here.");
  // Grace's own cursor, on her own chat, is hers only.
  const graces = (await grace.data(MESSAGES, { chat: graceChat, first: 1 })).chat.messages.pageInfo.endCursor as string;
  const chats = `query($after: String) { chats(first: 5, after: $after) { edges { node { title } } } }`;
  expect((await ada.request(chats, { after: graces })).errors?.[0]?.message).toBe("This cursor is not valid here.");
  expect((await ada.request(MESSAGES, { chat: adaChat, first: 2, after: graces })).errors?.[0]?.message).toBe("This cursor is not valid here.");
});

test("real cursors page forwards and backwards through messages and chats", async () => {
  const first = (await ada.data(MESSAGES, { chat: adaChat, first: 2 })).chat.messages;
  expect(first.edges.map((e: { node: { content: string } }) => e.node.content)).toEqual(["Ada 0", "Ada 1"]);
  expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  const second = (await ada.data(MESSAGES, { chat: adaChat, first: 2, after: first.pageInfo.endCursor })).chat.messages;
  expect(second.edges.map((e: { node: { content: string } }) => e.node.content)).toEqual(["Ada 2", "Ada 3"]);
  const last = (await ada.data(MESSAGES, { chat: adaChat, last: 2 })).chat.messages;
  expect(last.edges.map((e: { node: { content: string } }) => e.node.content)).toEqual(["Ada 3", "Ada 4"]);
  expect(last.pageInfo).toMatchObject({ hasPreviousPage: true });
  const before = (await ada.data(MESSAGES, { chat: adaChat, last: 2, before: last.pageInfo.startCursor })).chat.messages;
  expect(before.edges.map((e: { node: { content: string } }) => e.node.content)).toEqual(["Ada 1", "Ada 2"]);

  const chats = `query($after: String) { chats(first: 1, after: $after) { edges { node { title } } pageInfo { endCursor hasNextPage } } }`;
  const page1 = (await ada.data(chats)).chats;
  const page2 = (await ada.data(chats, { after: page1.pageInfo.endCursor })).chats;
  expect([page1.edges[0].node.title, page2.edges[0].node.title].sort()).toEqual(["Ada", "Ada other"]);
  expect(page2.pageInfo.hasNextPage).toBe(false);
});
