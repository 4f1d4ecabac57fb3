import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

let app: TestApp;
let ada: TestClient;
beforeAll(async () => {
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
});
afterAll(() => app.close());

const CREATE = `mutation($input: CreateChatInput) { createChat(input: $input) { id title source model { id } } }`;

describe("create, rename, delete", () => {
  test("a chat without a title is called New chat; titles are cleaned", async () => {
    const untitled = await ada.data(CREATE, {});
    expect(untitled.createChat).toMatchObject({ title: "New chat", source: "WEB", model: null });
    const titled = await ada.data(CREATE, { input: { title: "  Trip   to\nLyon " } });
    expect(titled.createChat.title).toBe("Trip to Lyon");
  });

  test("rename validates the title and keeps the old one on error", async () => {
    const { id } = (await ada.data(CREATE, { input: { title: "Before" } })).createChat;
    const empty = await ada.request(`mutation($id: ID!) { renameChat(id: $id, title: "   ") { title } }`, { id });
    expect(empty.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "title" });
    const long = await ada.request(`mutation($id: ID!, $t: String!) { renameChat(id: $id, title: $t) { title } }`, { id, t: "x".repeat(121) });
    expect(long.errors?.[0]?.message).toBe("title must be at most 120 characters.");
    const renamed = await ada.data(`mutation($id: ID!) { renameChat(id: $id, title: "After") { title } }`, { id });
    expect(renamed.renameChat.title).toBe("After");
    expect((await app.db.chat.findUniqueOrThrow({ where: { id } })).title).toBe("After");
  });

  test("delete removes the chat and its messages", async () => {
    const { id } = (await ada.data(CREATE, { input: { title: "Doomed" } })).createChat;
    await app.db.message.create({ data: { chatId: id, role: "USER", content: "hello" } });
    await ada.data(`mutation($id: ID!) { deleteChat(id: $id) }`, { id });
    expect(await app.db.chat.count({ where: { id } })).toBe(0);
    expect(await app.db.message.count({ where: { chatId: id } })).toBe(0);
    const again = await ada.request(`mutation($id: ID!) { deleteChat(id: $id) }`, { id });
    expect(again.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("pagination", () => {
  test("chats(first, after) walks the viewer's chats, most recently active first, without gaps or repeats", async () => {
    const bob = await app.signedUp("bob@example.com");
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const chat = await bob.data(CREATE, { input: { title: `Chat ${i}` } });
      created.push(chat.createChat.id);
      await app.db.chat.update({ where: { id: chat.createChat.id }, data: { updatedAt: new Date(Date.UTC(2026, 0, 1, 0, i)) } });
    }
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: any = await bob.data(`query($after: String) { chats(first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, {
        after,
      });
      seen.push(...page.chats.edges.map((e: any) => e.node.id));
      pages += 1;
      if (!page.chats.pageInfo.hasNextPage) break;
      after = page.chats.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  test("messages(last, before) pages back from the newest, oldest first within a page", async () => {
    const { id } = (await ada.data(CREATE, { input: { title: "Long talk" } })).createChat;
    let parentId: string | null = null;
    for (let i = 0; i < 12; i++) {
      const message: { id: string } = await app.db.message.create({
        data: { chatId: id, parentId, role: i % 2 ? "ASSISTANT" : "USER", content: `m${i}`, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) },
      });
      parentId = message.id;
    }
    const query = `query($id: ID!, $before: String) { chat(id: $id) { messages(last: 5, before: $before) {
      edges { cursor node { content role } } pageInfo { hasPreviousPage startCursor } } } }`;
    const latest = (await ada.data(query, { id })).chat.messages;
    expect(latest.edges.map((e: any) => e.node.content)).toEqual(["m7", "m8", "m9", "m10", "m11"]);
    expect(latest.pageInfo.hasPreviousPage).toBe(true);
    const earlier = (await ada.data(query, { id, before: latest.pageInfo.startCursor })).chat.messages;
    expect(earlier.edges.map((e: any) => e.node.content)).toEqual(["m2", "m3", "m4", "m5", "m6"]);
    const first = (await ada.data(query, { id, before: earlier.pageInfo.startCursor })).chat.messages;
    expect(first.edges.map((e: any) => e.node.content)).toEqual(["m0", "m1"]);
    expect(first.pageInfo.hasPreviousPage).toBe(false);
  });

  test("impossible page arguments are input errors", async () => {
    const negative = await ada.request(`{ chats(first: -1) { edges { node { id } } } }`);
    expect(negative.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const both = await ada.request(`{ chats(after: "a", before: "b") { edges { node { id } } } }`);
    expect(both.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(both.errors?.[0]?.message).toContain("before");
  });
});
