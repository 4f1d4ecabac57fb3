/**
 * Sending a message and getting a reply, on every database: what is stored and when,
 * what the provider is sent, usage, cost and latency, titles, regenerate, validation,
 * and start-up recovery of replies a crash left STREAMING.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_MESSAGE_LENGTH, titleFromMessage } from "../../server/src/chats/service.ts";
import { INTERRUPTED } from "../../server/src/generation/reply-errors.ts";
import { recoverInterruptedReplies } from "../../server/src/generation/service.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { createChat, createModel, MESSAGE_FIELDS, modelAndChat, SEND, send, settled } from "../support/replies.ts";

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

const messagesOf = (chatId: string) => app.db.message.findMany({ where: { chatId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
const chatRequests = () => fake.requests.filter((r) => r.path === "/v1/chat/completions");

describe("sending", () => {
  test("stores the message, returns it with a STREAMING reply at once, then the reply completes with usage, cost and latency", async () => {
    const { modelId, chatId } = await modelAndChat(ada, fake.url, { inputCostPerMTok: 2, outputCostPerMTok: 10, temperature: 0.2, maxTokens: 50, systemPrompt: "Be brief." });
    fake.scriptNext({ text: "Paris is the capital of France.", delayMsPerToken: 20 });
    const sent = await send(ada, chatId, "  What is the capital of France?  ");
    expect(sent.message).toMatchObject({ role: "USER", content: "What is the capital of France?", status: "COMPLETE" });
    expect(sent.reply).toMatchObject({ role: "ASSISTANT", content: "", status: "STREAMING" });
    expect(sent.chat.model?.id).toBe(modelId);

    const reply = await settled(app, sent.reply.id);
    expect(reply).toMatchObject({ content: "Paris is the capital of France.", status: "COMPLETE", error: null, usageEstimated: false });
    // The fake provider counts words: "Be brief." (2) + the question (6) = 8 prompt tokens; 6 reply tokens.
    expect(reply.promptTokens).toBe(8);
    expect(reply.completionTokens).toBe(6);
    expect(Number(reply.cost)).toBeCloseTo((8 * 2 + 6 * 10) / 1_000_000, 12);
    expect(reply.firstTokenMs).toBeGreaterThanOrEqual(0);
    expect(reply.latencyMs).toBeGreaterThanOrEqual(reply.firstTokenMs! + 5 * 20 - 5);

    const request = chatRequests().at(-1)!;
    expect(request.headers.authorization).toBe("Bearer sk-test-key");
    expect(request.body).toMatchObject({
      model: "echo",
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 50,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is the capital of France?" },
      ],
    });
    expect((await messagesOf(chatId)).map((m) => [m.role, m.status])).toEqual([
      ["USER", "COMPLETE"],
      ["ASSISTANT", "COMPLETE"],
    ]);
  });

  test("the whole conversation goes to the provider, oldest first; failed replies stay out of it", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    fake.scriptNext({ text: "First answer." });
    await settled(app, (await send(ada, chatId, "First question")).reply.id);
    fake.scriptNext({ error: { status: 500 } });
    await settled(app, (await send(ada, chatId, "Second question")).reply.id);
    fake.scriptNext({ text: "Third answer." });
    await settled(app, (await send(ada, chatId, "Third question")).reply.id);
    expect((chatRequests().at(-1)!.body as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "First question" },
      { role: "assistant", content: "First answer." },
      { role: "user", content: "Second question" },
      { role: "user", content: "Third question" },
    ]);
  });

  test("a provider without usage gets an estimate, marked as such", async () => {
    const { chatId } = await modelAndChat(ada, fake.url, { outputCostPerMTok: 1 });
    fake.scriptNext({ text: "twelve characters!", usage: false });
    const reply = await settled(app, (await send(ada, chatId, "estimate me")).reply.id);
    expect(reply.usageEstimated).toBe(true);
    // ceil(11 / 4) + 4 overhead for the prompt; ceil(18 / 4) for the reply.
    expect(reply.promptTokens).toBe(7);
    expect(reply.completionTokens).toBe(5);
    expect(Number(reply.cost)).toBeCloseTo(5 / 1_000_000, 12);
    const { chat } = await ada.data(`query($id: ID!) { chat(id: $id) { messages(last: 1) { edges { node { ${MESSAGE_FIELDS} } } } } }`, { id: chatId });
    expect(chat.messages.edges[0].node).toMatchObject({ usageEstimated: true, completionTokens: 5 });
  });

  test("a model without an API key sends no Authorization header", async () => {
    const { chatId } = await modelAndChat(ada, fake.url, { apiKey: null });
    await settled(app, (await send(ada, chatId, "no key")).reply.id);
    expect(chatRequests().at(-1)!.headers.authorization).toBeUndefined();
  });

  test("modelId switches the chat's model for this and later messages", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const other = await createModel(ada, fake.url, { name: "Other", providerModelId: "other-model" });
    fake.script("other-model", { text: "from the other model" });
    const sent = await send(ada, chatId, "switch", other);
    expect(sent.chat.model?.id).toBe(other);
    expect((await settled(app, sent.reply.id)).content).toBe("from the other model");
    expect(chatRequests().at(-1)!.model).toBe("other-model");
  });

  test("a double click sends once: the second of two simultaneous sends is refused (CONFLICT)", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    // The first reply is still being written when the second click lands, however the two
    // requests are scheduled (an instant reply could end before the second is handled).
    fake.scriptNext({ text: "You said: click", delayMsPerToken: 100 });
    const results = await Promise.all([ada.request(SEND, { chatId, content: "click" }), ada.request(SEND, { chatId, content: "click" })]);
    expect(results.map((r) => r.errors?.[0]?.extensions?.code ?? "ok").sort()).toEqual(["CONFLICT", "ok"]);
    const sent = results.find((r) => !r.errors)!.data!.sendMessage;
    await settled(app, sent.reply.id);
    expect((await messagesOf(chatId)).map((m) => m.content)).toEqual(["click", "You said: click"]);
  });

  test("while a reply is streaming, another message in the same chat is refused (CONFLICT) and not stored", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    fake.scriptNext({ text: "slow reply here", delayMsPerToken: 100 });
    const first = await send(ada, chatId, "first");
    const second = await ada.request(SEND, { chatId, content: "too soon" });
    expect(second.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect((await messagesOf(chatId)).map((m) => m.content)).not.toContain("too soon");
    await settled(app, first.reply.id);
  });
});

describe("titles", () => {
  test("a new chat takes a short, clean title from its first message; later messages leave it", async () => {
    const modelId = await createModel(ada, fake.url);
    const chatId = await createChat(ada, modelId);
    const long = "## Can you   help me plan a **three-week** trip through Japan, Korea and Taiwan in spring?";
    const first = await send(ada, chatId, long);
    expect(first.chat.title).toBe("Can you help me plan a three-week trip through Japan, Korea…");
    expect(first.chat.title.length).toBeLessThanOrEqual(60);
    await settled(app, first.reply.id);
    const second = await send(ada, chatId, "Something else entirely");
    expect(second.chat.title).toBe(first.chat.title);
    await settled(app, second.reply.id);
  });

  test.each([
    ["Short question?", "Short question?"],
    ["  spaces\n\nand\tlines  ", "spaces and lines"],
    ["Look at [this page](https://example.com/x) please", "Look at this page please"],
    ["```js\nconsole.log(1)\n```\nWhy does this print 1?", "Why does this print 1?"],
    ["x".repeat(80), `${"x".repeat(59)}…`],
    ["```only code```", "only code"],
  ])("title from %j is %j", (content, title) => {
    expect(titleFromMessage(content)).toBe(title);
  });

  test("a chat created with a title keeps it", async () => {
    const modelId = await createModel(ada, fake.url);
    const chatId = await createChat(ada, modelId, "My own title");
    const sent = await send(ada, chatId, "hello there");
    expect(sent.chat.title).toBe("My own title");
    await settled(app, sent.reply.id);
  });
});

describe("validation: coded errors, nothing stored, no internals", () => {
  let chatId: string;
  beforeAll(async () => {
    chatId = (await modelAndChat(ada, fake.url)).chatId;
  });

  test.each([
    ["empty", "", "BAD_USER_INPUT", "content must not be empty."],
    ["only whitespace", " \n\t ", "BAD_USER_INPUT", "content must not be empty."],
    ["too long", "x".repeat(MAX_MESSAGE_LENGTH + 1), "BAD_USER_INPUT", `content must be at most ${MAX_MESSAGE_LENGTH} characters`],
  ])("%s content", async (_name, content, code, message) => {
    const before = (await messagesOf(chatId)).length;
    const result = await ada.request(SEND, { chatId, content });
    expect(result.errors?.[0]?.extensions).toEqual({ code, field: "content" });
    expect(result.errors?.[0]?.message).toStartWith(message);
    expect((await messagesOf(chatId)).length).toBe(before);
  });

  test("the longest allowed message is accepted", async () => {
    const sent = await send(ada, chatId, "y".repeat(MAX_MESSAGE_LENGTH));
    expect(sent.message.content.length).toBe(MAX_MESSAGE_LENGTH);
    await settled(app, sent.reply.id);
  });

  test("an unknown chat, or another user's, is NOT_FOUND; an unknown model too", async () => {
    const unknown = await ada.request(SEND, { chatId: "no-such-chat", content: "hi" });
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(unknown.errors?.[0]?.message).toBe("Chat was not found.");
    const bob = await app.signedUp("bob-validation@example.com");
    const foreign = await bob.request(SEND, { chatId, content: "hi" });
    expect(foreign.errors?.[0]).toEqual(unknown.errors?.[0]);
    const badModel = await ada.request(SEND, { chatId, content: "hi", modelId: "no-such-model" });
    expect(badModel.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  test("a chat without a model, or with a switched-off one, says to choose one", async () => {
    const bare = await createChat(ada, null);
    const none = await ada.request(SEND, { chatId: bare, content: "hi" });
    expect(none.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "modelId" });
    const off = await createModel(ada, fake.url, { name: "Off", active: false });
    const switchedOff = await ada.request(SEND, { chatId: bare, content: "hi", modelId: off });
    expect(switchedOff.errors?.[0]?.message).toContain("switched off");
    expect(await messagesOf(bare)).toEqual([]);
  });

  test("a missing argument is a coded error without a stack trace", async () => {
    const result = await ada.request(`mutation { sendMessage(chatId: "x") { reply { id } } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(JSON.stringify(result)).not.toMatch(/at \w+ \(|\.ts:\d+/);
  });

  test("anonymous: UNAUTHENTICATED", async () => {
    const result = await app.client().request(SEND, { chatId, content: "hi" });
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("regenerate", () => {
  const REGENERATE = `mutation($chatId: ID!, $modelId: ID) { regenerate(chatId: $chatId, modelId: $modelId) { id status content } }`;

  test("adds a new reply to the same question, generated from the same conversation; the earlier reply stays as a version", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    fake.scriptNext({ text: "first try" });
    const sent = await send(ada, chatId, "tell me a joke");
    await settled(app, sent.reply.id);
    fake.scriptNext({ text: "second try" });
    const { regenerate } = await ada.data(REGENERATE, { chatId });
    expect(regenerate.status).toBe("STREAMING");
    expect(regenerate.id).not.toBe(sent.reply.id);
    expect((await settled(app, regenerate.id)).content).toBe("second try");
    expect((await messagesOf(chatId)).map((m) => m.content)).toEqual(["tell me a joke", "first try", "second try"]);
    const shown = await ada.data(`query($id: ID!) { chat(id: $id) { messages { edges { node { content versionIds } } } } }`, { id: chatId });
    expect(shown.chat.messages.edges.map((e: any) => e.node.content)).toEqual(["tell me a joke", "second try"]);
    expect(shown.chat.messages.edges[1].node.versionIds).toEqual([sent.reply.id, regenerate.id]);
    expect((chatRequests().at(-1)!.body as { messages: unknown[] }).messages).toEqual([{ role: "user", content: "tell me a joke" }]);
  });

  test("a failed last reply gets a new one too; an empty chat has nothing to answer", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    fake.scriptNext({ error: { status: 500 } });
    const sent = await send(ada, chatId, "please");
    expect((await settled(app, sent.reply.id)).status).toBe("FAILED");
    const { regenerate } = await ada.data(REGENERATE, { chatId });
    expect((await settled(app, regenerate.id)).content).toBe("You said: please");
    const empty = await createChat(ada, (await createModel(ada, fake.url)));
    const nothing = await ada.request(REGENERATE, { chatId: empty });
    expect(nothing.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  test("refused while the reply is still streaming", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    fake.scriptNext({ text: "a slow one", delayMsPerToken: 100 });
    const sent = await send(ada, chatId, "go");
    const result = await ada.request(REGENERATE, { chatId });
    expect(result.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    await settled(app, sent.reply.id);
  });
});

describe("start-up recovery", () => {
  test("replies left STREAMING become FAILED with a sentence saying what happened, keeping their last checkpoint", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const question = await app.db.message.create({ data: { chatId, role: "USER", content: "question" } });
    const orphan = await app.db.message.create({
      data: { chatId, role: "ASSISTANT", content: "half an ans", status: "STREAMING", checkpointAt: new Date() },
    });
    const ended = await recoverInterruptedReplies(app.db);
    expect(ended).toContain(orphan.id);
    expect(await app.db.message.findUniqueOrThrow({ where: { id: orphan.id } })).toMatchObject({
      status: "FAILED",
      error: INTERRUPTED,
      content: "half an ans",
    });
    expect((await app.db.message.findUniqueOrThrow({ where: { id: question.id } })).status).toBe("COMPLETE");
    expect(await recoverInterruptedReplies(app.db)).toEqual([]);
  });

  test("with several instances, only replies quiet for longer than the stale limit are ended", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const old = new Date(Date.now() - 10 * 60_000);
    const stale = await app.db.message.create({ data: { chatId, role: "ASSISTANT", content: "old", status: "STREAMING", createdAt: old, checkpointAt: old } });
    const fresh = await app.db.message.create({ data: { chatId, role: "ASSISTANT", content: "new", status: "STREAMING", createdAt: old, checkpointAt: new Date() } });
    const ended = await recoverInterruptedReplies(app.db, { staleBefore: new Date(Date.now() - 60_000) });
    expect(ended).toEqual([stale.id]);
    expect((await app.db.message.findUniqueOrThrow({ where: { id: fresh.id } })).status).toBe("STREAMING");
    await app.db.message.delete({ where: { id: fresh.id } });
  });
});
