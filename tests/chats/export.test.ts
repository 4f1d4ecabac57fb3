/**
 * Exporting a chat (GET /chats/:id/export): Markdown of the conversation shown, JSON of
 * every version in the API's shape; for the chat's owner only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled } from "../support/replies.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let chatId: string;
let firstReplyId: string;
let secondReplyId: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
  ({ chatId } = await modelAndChat(ada, fake.url, { name: "Echo model" }));
  await ada.data(`mutation($id: ID!) { renameChat(id: $id, title: "Trip: Lisbon / Porto") { id } }`, { id: chatId });
  fake.scriptNext({ text: "Take the **train**." });
  const sent = await send(ada, chatId, "How do I get there?");
  firstReplyId = sent.reply.id;
  await settled(app, firstReplyId);
  fake.scriptNext({ text: "Fly, it is quicker." });
  secondReplyId = (await ada.data(`mutation($c: ID!) { regenerate(chatId: $c) { id } }`, { c: chatId })).regenerate.id;
  await settled(app, secondReplyId);
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

const exportOf = (client: TestClient | null, id: string, format?: string) =>
  app.handle(
    new Request(`http://aiui.test/chats/${id}/export${format ? `?format=${format}` : ""}`, { headers: client?.cookie ? { cookie: client.cookie } : {} }),
  );

describe("export", () => {
  test("Markdown: the title, then the conversation shown, as a download", async () => {
    const response = await exportOf(ada, chatId, "markdown");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="Trip-Lisbon-Porto.md"');
    const text = await response.text();
    expect(text).toStartWith("# Trip: Lisbon / Porto\n\n_Exported from AIUI on ");
    expect(text).toContain("model: Echo model_");
    expect(text).toContain("## You\n\nHow do I get there?\n\n## Assistant\n\nFly, it is quicker.\n");
    expect(text).not.toContain("Take the **train**.");
  });

  test("JSON: every message with its parent and versions, and the branch shown", async () => {
    const response = await exportOf(ada, chatId, "json");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="Trip-Lisbon-Porto.json"');
    const body = (await response.json()) as any;
    expect(body.chat).toMatchObject({ id: chatId, title: "Trip: Lisbon / Porto", source: "WEB", model: { name: "Echo model", providerModelId: "echo" } });
    expect(body.messages.map((m: any) => [m.role, m.content])).toEqual([
      ["USER", "How do I get there?"],
      ["ASSISTANT", "Take the **train**."],
      ["ASSISTANT", "Fly, it is quicker."],
    ]);
    const question = body.messages[0];
    expect(body.messages[1]).toMatchObject({ id: firstReplyId, parentId: question.id, versionIds: [firstReplyId, secondReplyId], status: "COMPLETE" });
    expect(body.branch).toEqual([question.id, secondReplyId]);
  });

  test("Markdown is the default; an unknown format is a 400 saying which exist", async () => {
    expect((await exportOf(ada, chatId)).headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const bad = await exportOf(ada, chatId, "pdf");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ detail: "format must be markdown or json." });
  });

  test("another user, or nobody, gets 404 like for a chat that does not exist", async () => {
    const eve = await app.signedUp("eve@example.com");
    for (const client of [eve, null]) {
      const response = await exportOf(client, chatId, "json");
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: "Chat was not found." });
    }
  });
});
