/**
 * Chats as message trees, on every database: editing a question makes a new version with
 * a new reply, regenerating keeps earlier replies, switchVersion shows another version,
 * the model is sent the branch shown, and the conversation pages stay in order however
 * it was written. Pictures sent with a message reach a model that can see as image parts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { fixture } from "../support/fixtures.ts";
import { createModel, modelAndChat, send, settled } from "../support/replies.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

const chatRequests = () => fake.requests.filter((r) => r.path === "/v1/chat/completions");
const lastPrompt = () => (chatRequests().at(-1)!.body as { messages: { role: string; content: unknown }[] }).messages;

const EDIT = `mutation($messageId: ID!, $content: String!) {
  editMessage(messageId: $messageId, content: $content) { chat { id } message { id content parentId versionIds } reply { id status parentId } }
}`;
const SWITCH = `mutation($messageId: ID!) { switchVersion(messageId: $messageId) { id } }`;
const REGENERATE = `mutation($chatId: ID!, $messageId: ID) { regenerate(chatId: $chatId, messageId: $messageId) { id parentId } }`;
const SHOWN = `query($id: ID!) { chat(id: $id) { messages { edges { node { id role content parentId versionIds } } } } }`;

async function shown(chatId: string): Promise<{ id: string; role: string; content: string; parentId: string | null; versionIds: string[] }[]> {
  return (await ada.data(SHOWN, { id: chatId })).chat.messages.edges.map((e: any) => e.node);
}

async function exchange(chatId: string, question: string, answer: string) {
  fake.scriptNext({ text: answer });
  const sent = await send(ada, chatId, question);
  await settled(app, sent.reply.id);
  return sent;
}

describe("edit and versions", () => {
  test("editing a question adds a version with a new reply; the model gets the branch up to it; switching back shows version 1 with its reply", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const first = await exchange(chatId, "Name a colour", "Blue.");
    const second = await exchange(chatId, "Name a fruit", "Apple.");
    await exchange(chatId, "Name a city", "Paris.");

    fake.scriptNext({ text: "Banana." });
    const { editMessage } = await ada.data(EDIT, { messageId: second.message.id, content: "Name a yellow fruit" });
    expect(editMessage.message.parentId).toBe(first.reply.id);
    expect(editMessage.message.versionIds).toEqual([second.message.id, editMessage.message.id]);
    expect(editMessage.reply).toMatchObject({ status: "STREAMING", parentId: editMessage.message.id });
    expect((await settled(app, editMessage.reply.id)).content).toBe("Banana.");
    // The branch up to the edited question, not the original's continuation.
    expect(lastPrompt()).toEqual([
      { role: "user", content: "Name a colour" },
      { role: "assistant", content: "Blue." },
      { role: "user", content: "Name a yellow fruit" },
    ]);
    expect((await shown(chatId)).map((m) => m.content)).toEqual(["Name a colour", "Blue.", "Name a yellow fruit", "Banana."]);

    // Version 1 again: its reply and what followed it are back.
    await ada.data(SWITCH, { messageId: second.message.id });
    const back = await shown(chatId);
    expect(back.map((m) => m.content)).toEqual(["Name a colour", "Blue.", "Name a fruit", "Apple.", "Name a city", "Paris."]);
    expect(back[2]!.versionIds).toEqual([second.message.id, editMessage.message.id]);

    // A new message continues the version shown, and the model is sent that branch.
    await exchange(chatId, "And a river?", "The Seine.");
    expect(lastPrompt().map((m) => m.content)).toEqual(["Name a colour", "Blue.", "Name a fruit", "Apple.", "Name a city", "Paris.", "And a river?"]);

    // Version 2 again: down to its newest reply.
    await ada.data(SWITCH, { messageId: editMessage.message.id });
    expect((await shown(chatId)).map((m) => m.content)).toEqual(["Name a colour", "Blue.", "Name a yellow fruit", "Banana."]);
  });

  test("the first message can be edited too: its versions are the chat's first messages", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const first = await exchange(chatId, "Hello", "Hi.");
    fake.scriptNext({ text: "Good morning." });
    const { editMessage } = await ada.data(EDIT, { messageId: first.message.id, content: "Good morning" });
    await settled(app, editMessage.reply.id);
    const messages = await shown(chatId);
    expect(messages.map((m) => m.content)).toEqual(["Good morning", "Good morning."]);
    expect(messages[0]!.parentId).toBeNull();
    expect(messages[0]!.versionIds).toEqual([first.message.id, editMessage.message.id]);
    expect(lastPrompt()).toEqual([{ role: "user", content: "Good morning" }]);
  });

  test("regenerating keeps earlier replies as versions, also for an earlier reply named by messageId", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const first = await exchange(chatId, "One", "First answer.");
    await exchange(chatId, "Two", "Second answer.");
    fake.scriptNext({ text: "First answer, again." });
    const { regenerate } = await ada.data(REGENERATE, { chatId, messageId: first.reply.id });
    expect(regenerate.parentId).toBe(first.message.id);
    await settled(app, regenerate.id);
    expect(lastPrompt()).toEqual([{ role: "user", content: "One" }]);
    const messages = await shown(chatId);
    expect(messages.map((m) => m.content)).toEqual(["One", "First answer, again."]);
    expect(messages[1]!.versionIds).toEqual([first.reply.id, regenerate.id]);
    await ada.data(SWITCH, { messageId: first.reply.id });
    expect((await shown(chatId)).map((m) => m.content)).toEqual(["One", "First answer.", "Two", "Second answer."]);
  });

  test("only the user's own messages can be edited; regenerate's messageId must be a reply of the chat", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const sent = await exchange(chatId, "Question", "Answer.");
    const editReply = await ada.request(EDIT, { messageId: sent.reply.id, content: "no" });
    expect(editReply.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "messageId" });
    const wrong = await ada.request(REGENERATE, { chatId, messageId: sent.message.id });
    expect(wrong.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const empty = await ada.request(EDIT, { messageId: sent.message.id, content: "   " });
    expect(empty.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "content" });
    expect((await shown(chatId)).map((m) => m.content)).toEqual(["Question", "Answer."]);
  });

  test("another user cannot edit, regenerate or switch: NOT_FOUND, nothing changes", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const sent = await exchange(chatId, "Mine", "Yours.");
    const eve = await app.signedUp("eve-versions@example.com");
    for (const [query, variables] of [
      [EDIT, { messageId: sent.message.id, content: "hijack" }],
      [REGENERATE, { chatId, messageId: sent.reply.id }],
      [SWITCH, { messageId: sent.message.id }],
    ] as const) {
      const result = await eve.request(query, variables);
      expect(result.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    }
    expect((await shown(chatId)).map((m) => m.content)).toEqual(["Mine", "Yours."]);
  });

  test("chats from the glasses stay linear: no edits", async () => {
    const modelId = await createModel(ada, fake.url);
    const viewer = await app.db.user.findUniqueOrThrow({ where: { email: "ada@example.com" } });
    const chat = await app.db.chat.create({ data: { userId: viewer.id, title: "From glasses", source: "GLASSES", modelId } });
    const question = await app.db.message.create({ data: { chatId: chat.id, role: "USER", content: "What is that?" } });
    const result = await ada.request(EDIT, { messageId: question.id, content: "changed" });
    expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "messageId" });
    expect(result.errors?.[0]?.message).toContain("glasses");
  });
});

describe("order and paging", () => {
  test("120 messages sent one after another come back in the order they were written", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    for (let i = 1; i <= 60; i++) {
      const sent = await send(ada, chatId, `question ${i}`);
      await settled(app, sent.reply.id);
    }
    const all: string[] = [];
    let before: string | null = null;
    for (;;) {
      const page: any = await ada.data(
        `query($id: ID!, $before: String) { chat(id: $id) { messages(last: 50, before: $before) { edges { node { content } } pageInfo { hasPreviousPage startCursor } } } }`,
        { id: chatId, before },
      );
      all.unshift(...page.chat.messages.edges.map((e: any) => e.node.content));
      if (!page.chat.messages.pageInfo.hasPreviousPage) break;
      before = page.chat.messages.pageInfo.startCursor;
    }
    expect(all).toEqual(Array.from({ length: 60 }, (_, i) => [`question ${i + 1}`, `You said: question ${i + 1}`]).flat());
  });

  test("first/after pages forward and around centres a page on one message", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const row: { id: string } = await app.db.message.create({
        data: { chatId, parentId: ids.at(-1) ?? null, role: i % 2 ? "ASSISTANT" : "USER", content: `m${i}`, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) },
      });
      ids.push(row.id);
    }
    await app.db.chat.update({ where: { id: chatId }, data: { currentLeafId: ids.at(-1) } });
    // Cursors are strings (Relay) the server signs for this chat; `around` takes a message id.
    const page = async (args: string, cursor: string) =>
      (
        await ada.data(
          `query($id: ID!, $cursor: ${args.startsWith("around") ? "ID" : "String"}!) { chat(id: $id) { messages(${args}) { edges { cursor node { content } } pageInfo { hasPreviousPage hasNextPage } } } }`,
          { id: chatId, cursor },
        )
      ).chat.messages;
    const cursorOfM2 = (await page("first: 3, after: $cursor", (await page("around: $cursor, first: 1", ids[0]!)).edges[0].cursor)).edges[1].cursor;
    const forward = await page("first: 4, after: $cursor", cursorOfM2);
    expect(forward.edges.map((e: any) => e.node.content)).toEqual(["m3", "m4", "m5", "m6"]);
    expect(forward.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: true });
    const around = await page("around: $cursor, first: 5", ids[10]!);
    expect(around.edges.map((e: any) => e.node.content)).toEqual(["m8", "m9", "m10", "m11", "m12"]);
    const atStart = await page("around: $cursor, first: 5", ids[1]!);
    expect(atStart.edges.map((e: any) => e.node.content)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(atStart.pageInfo.hasPreviousPage).toBe(false);
    const unknown = await ada.request(`query($id: ID!) { chat(id: $id) { messages(around: "nope") { edges { cursor } } } }`, { id: chatId });
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "around" });
    const before = await ada.request(`query($id: ID!) { chat(id: $id) { messages(last: 5, before: "nope") { edges { cursor } } } }`, { id: chatId });
    expect(before.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "before" });
  });

  test("a chat whose leaf is not one of its messages shows its newest message's branch; another chat's message never leaks in", async () => {
    const mine = await modelAndChat(ada, fake.url);
    const first = await exchange(mine.chatId, "Mine first", "Mine answer.");
    const other = await modelAndChat(ada, fake.url);
    const foreign = await exchange(other.chatId, "Other chat", "Other answer.");
    for (const leaf of ["no-such-message", foreign.reply.id]) {
      await app.db.chat.update({ where: { id: mine.chatId }, data: { currentLeafId: leaf } });
      const messages = await shown(mine.chatId);
      expect(messages.map((m) => m.id)).toEqual([first.message.id, first.reply.id]);
    }
    // A cursor from another chat pages nothing of it, nor does a bare message id of it.
    const PAGE = `query($id: ID!, $b: String) { chat(id: $id) { messages(last: 5, before: $b) { edges { cursor node { id } } } } }`;
    const otherEdges = (await ada.data(PAGE, { id: other.chatId })).chat.messages.edges;
    const foreignCursor = otherEdges.find((edge: any) => edge.node.id === foreign.reply.id).cursor;
    for (const b of [foreignCursor, foreign.reply.id]) {
      const cursor = await ada.request(PAGE, { id: mine.chatId, b });
      expect(cursor.errors?.[0]?.message).toBe("This cursor is not valid here.");
      expect(cursor.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "before" });
    }
  });
});

describe("new chats", () => {
  test("sendMessage without a chat starts one with the model, titled after the message", async () => {
    const modelId = await createModel(ada, fake.url);
    fake.scriptNext({ text: "Sure." });
    const { sendMessage } = await ada.data(
      `mutation($content: String!, $modelId: ID) { sendMessage(content: $content, modelId: $modelId) { chat { id title source model { id } } reply { id } } }`,
      { content: "Plan a weekend in Porto", modelId },
    );
    expect(sendMessage.chat).toMatchObject({ title: "Plan a weekend in Porto", source: "WEB", model: { id: modelId } });
    await settled(app, sendMessage.reply.id);
    expect((await shown(sendMessage.chat.id)).map((m) => m.content)).toEqual(["Plan a weekend in Porto", "Sure."]);
    const without = await ada.request(`mutation { sendMessage(content: "no model") { chat { id } } }`);
    expect(without.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "modelId" });
  });
});

describe("pictures", () => {
  const SEND_WITH_IMAGES = `mutation($chatId: ID, $content: String!, $images: [File!]) {
    sendMessage(chatId: $chatId, content: $content, images: $images) {
      message { id attachments { mimeType byteSize url } } reply { id }
    }
  }`;

  test("a picture sent with a message reaches a model that can see as an image part, and is kept with the message", async () => {
    const { chatId } = await modelAndChat(ada, fake.url, { supportsImages: true });
    const jpeg = await fixture("noa-app-request-image.jpg");
    fake.scriptNext({ text: "A picture." });
    const result = await ada.upload(SEND_WITH_IMAGES, { chatId, content: "What is this?", images: [null] }, {
      "variables.images.0": new File([jpeg], "photo.jpg", { type: "image/jpeg" }),
    });
    expect(result.errors).toBeUndefined();
    const { message, reply } = result.data!.sendMessage;
    expect(message.attachments).toEqual([{ mimeType: "image/jpeg", byteSize: jpeg.byteLength, url: expect.stringMatching(/^\/attachments\//) }]);
    await settled(app, reply.id);
    const [question] = lastPrompt();
    expect(question).toEqual({
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` } },
      ],
    });
    // A follow-up question still shows the model the picture.
    await exchange(chatId, "What colour is it?", "Grey.");
    expect(JSON.stringify(lastPrompt())).toContain("data:image/jpeg;base64,");
  });

  test("a model that cannot see is told so instead, and gets no picture", async () => {
    const { chatId } = await modelAndChat(ada, fake.url, { supportsImages: false, systemPrompt: "Be kind." });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const result = await ada.upload(SEND_WITH_IMAGES, { chatId, content: "Look", images: [null] }, {
      "variables.images.0": new File([png], "x.png", { type: "image/png" }),
    });
    expect(result.errors).toBeUndefined();
    await settled(app, result.data!.sendMessage.reply.id);
    const messages = lastPrompt();
    expect(messages[0]!.role).toBe("system");
    expect(messages[0]!.content).toStartWith("Be kind. The user also sent a picture, but you cannot see pictures");
    expect(messages[1]).toEqual({ role: "user", content: "Look" });
  });

  test("a file that is not a picture, or too many pictures, is refused naming the field; nothing is stored", async () => {
    const { chatId } = await modelAndChat(ada, fake.url, { supportsImages: true });
    const text = await ada.upload(SEND_WITH_IMAGES, { chatId, content: "x", images: [null] }, {
      "variables.images.0": new File(["just text"], "notes.txt", { type: "image/png" }),
    });
    expect(text.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "images" });
    expect(text.errors?.[0]?.message).toBe("notes.txt is not a JPEG, PNG or WebP picture (or it is damaged).");
    const jpeg = await fixture("noa-app-request-image.jpg");
    const files = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`variables.images.${i}`, new File([jpeg], `p${i}.jpg`)]));
    const many = await ada.upload(SEND_WITH_IMAGES, { chatId, content: "x", images: [null, null, null, null, null] }, files);
    expect(many.errors?.[0]?.message).toBe("Attach at most 4 pictures to one message (there are 5).");
    expect(await app.db.message.count({ where: { chatId } })).toBe(0);
  });

  test("editing a question with a picture keeps the picture", async () => {
    const { chatId } = await modelAndChat(ada, fake.url, { supportsImages: true });
    const jpeg = await fixture("noa-app-request-image.jpg");
    const result = await ada.upload(SEND_WITH_IMAGES, { chatId, content: "What is this?", images: [null] }, {
      "variables.images.0": new File([jpeg], "photo.jpg"),
    });
    await settled(app, result.data!.sendMessage.reply.id);
    const { editMessage } = await ada.data(
      `mutation($messageId: ID!) { editMessage(messageId: $messageId, content: "And what is this?") { message { attachments { byteSize } } reply { id } } }`,
      { messageId: result.data!.sendMessage.message.id },
    );
    expect(editMessage.message.attachments).toEqual([{ byteSize: jpeg.byteLength }]);
    await settled(app, editMessage.reply.id);
    expect(JSON.stringify(lastPrompt())).toContain("data:image/jpeg;base64,");
  });
});
