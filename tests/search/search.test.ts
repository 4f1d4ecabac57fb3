/**
 * Search over a user's chat titles and message text, on every database, through the
 * GraphQL field the web's Ctrl+K box uses: what is found, what is not (other users'
 * chats, replies still being written, deleted chats, old titles), and the snippets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { snippetOf } from "../../server/src/search/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

let app: TestApp;
let ada: TestClient;
let adaId: string;
beforeAll(async () => {
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
  adaId = (await app.db.user.findUniqueOrThrow({ where: { email: "ada@example.com" } })).id;
});
afterAll(() => app.close());

const SEARCH = `query($q: String!, $first: Int) { search(query: $q, first: $first) {
  chat { id title } message { id content } snippet highlights { start end } } }`;

interface Hit {
  chat: { id: string; title: string };
  message: { id: string; content: string } | null;
  snippet: string;
  highlights: { start: number; end: number }[];
}

async function search(client: TestClient, q: string, first?: number): Promise<Hit[]> {
  return (await client.data(SEARCH, { q, first })).search;
}

/** A chat of `contents` as a linear chain, oldest first, one second apart. */
async function chatWith(userId: string, title: string, contents: string[]) {
  const chat = await app.db.chat.create({ data: { userId, title } });
  const ids: string[] = [];
  for (const [i, content] of contents.entries()) {
    const row: { id: string } = await app.db.message.create({
      data: { chatId: chat.id, parentId: ids.at(-1) ?? null, role: i % 2 ? "ASSISTANT" : "USER", content, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) },
    });
    ids.push(row.id);
  }
  await app.db.chat.update({ where: { id: chat.id }, data: { currentLeafId: ids.at(-1) ?? null } });
  return { chatId: chat.id, ids };
}

describe("what is found", () => {
  test("a word from message 3 of a long chat: the message, its chat, and a snippet with the word highlighted", async () => {
    const contents = Array.from({ length: 300 }, (_, i) => `Message number ${i + 1} talks about ordinary things like weather and tea.`);
    contents[2] = "We should visit the Alhambra in Granada during the spring, when the gardens are open late.";
    const { chatId, ids } = await chatWith(adaId, "Travel notes", contents);
    const hits = await search(ada, "alhambra");
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit!.chat).toEqual({ id: chatId, title: "Travel notes" });
    expect(hit!.message?.id).toBe(ids[2]);
    expect(hit!.snippet).toBe(contents[2]);
    expect(hit!.highlights.map((h) => hit!.snippet.slice(h.start, h.end))).toEqual(["Alhambra"]);
  });

  test("every word must be there, in any case; the last word may be the start of one", async () => {
    await chatWith(adaId, "Cooking", ["Baking Sourdough bread needs a starter.", "Sourdough pancakes are quick."]);
    expect((await search(ada, "SOURDOUGH bread")).map((h) => h.message?.content)).toEqual(["Baking Sourdough bread needs a starter."]);
    expect((await search(ada, "sourd")).map((h) => h.message?.content).sort()).toEqual([
      "Baking Sourdough bread needs a starter.",
      "Sourdough pancakes are quick.",
    ]);
    // "ough" is inside a word, not at its start; "sourd" is only a start when it is the last word.
    expect(await search(ada, "ough")).toEqual([]);
    expect(await search(ada, "sourd pancakes")).toEqual([]);
    expect((await search(ada, "sourdough panc")).map((h) => h.message?.content)).toEqual(["Sourdough pancakes are quick."]);
    expect(await search(ada, "  ...  ")).toEqual([]);
  });

  test("titles match too, first; a renamed chat is found by its new title only", async () => {
    const { chatId } = await chatWith(adaId, "Quarterly budget review", ["Numbers go here."]);
    const hits = await search(ada, "quarterly");
    expect(hits.map((h) => [h.chat.id, h.message])).toEqual([[chatId, null]]);
    expect(hits[0]!.highlights.map((h) => hits[0]!.snippet.slice(h.start, h.end))).toEqual(["Quarterly"]);
    await ada.data(`mutation($id: ID!) { renameChat(id: $id, title: "Yearly forecast") { id } }`, { id: chatId });
    expect(await search(ada, "quarterly")).toEqual([]);
    expect((await search(ada, "forecast")).map((h) => h.chat.id)).toEqual([chatId]);
  });

  test("newest first, at most `first` hits", async () => {
    const { ids } = await chatWith(adaId, "Repeats", ["periwinkle one", "periwinkle two", "periwinkle three"]);
    const hits = await search(ada, "periwinkle", 2);
    expect(hits.map((h) => h.message?.id)).toEqual([ids[2], ids[1]]);
  });
});

describe("what is not found", () => {
  test("another user's chats and messages, never", async () => {
    await chatWith(adaId, "Secret marmalade recipe", ["Marmalade needs Seville oranges."]);
    const bob = await app.signedUp("bob@example.com");
    expect(await search(bob, "marmalade")).toEqual([]);
    expect((await search(ada, "marmalade")).length).toBe(2);
  });

  test("a reply still being written is found once it is complete, with its final text", async () => {
    const { chatId, ids } = await chatWith(adaId, "Live", ["tell me about xylophones"]);
    const reply = await app.db.message.create({
      data: { chatId, parentId: ids[0], role: "ASSISTANT", content: "Xylophones are", status: "STREAMING" },
    });
    expect((await search(ada, "xylophones")).map((h) => h.message?.id)).toEqual([ids[0]]);
    await app.db.message.update({ where: { id: reply.id }, data: { content: "Xylophones are percussion instruments." } });
    expect(await search(ada, "percussion")).toEqual([]);
    await app.db.message.update({ where: { id: reply.id }, data: { status: "COMPLETE" } });
    expect((await search(ada, "percussion")).map((h) => h.message?.id)).toEqual([reply.id]);
  });

  test("a deleted chat's title and messages are gone", async () => {
    const { chatId } = await chatWith(adaId, "Ephemeral kumquat chat", ["kumquat jam"]);
    expect((await search(ada, "kumquat")).length).toBe(2);
    await ada.data(`mutation($id: ID!) { deleteChat(id: $id) }`, { id: chatId });
    expect(await search(ada, "kumquat")).toEqual([]);
  });

  test("anonymous: UNAUTHENTICATED", async () => {
    const result = await app.client().request(SEARCH, { q: "anything" });
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("snippets", () => {
  test("a long text is cut around the first match, at words, with … where it was cut", () => {
    const text = `${"alpha ".repeat(60)}the needle is here ${"omega ".repeat(60)}`;
    const { snippet, highlights } = snippetOf(text, ["needle"]);
    expect(snippet.startsWith("…")).toBe(true);
    expect(snippet.endsWith("…")).toBe(true);
    expect(snippet.length).toBeLessThanOrEqual(182);
    expect(highlights.map((h) => snippet.slice(h.start, h.end))).toEqual(["needle"]);
  });

  test("accents and case are ignored when highlighting; whole words are marked", () => {
    const { snippet, highlights } = snippetOf("Un Café au lait, s'il vous plaît.", ["cafe", "pla"]);
    expect(highlights.map((h) => snippet.slice(h.start, h.end))).toEqual(["Café", "plaît"]);
  });
});
