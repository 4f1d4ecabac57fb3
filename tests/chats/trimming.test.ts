/** The context-trimming rule of docs/decisions/0003-context-trimming.md, case by case, and end to end. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildConversation, type HistoryMessage, messageCost, promptBudget } from "../../server/src/generation/conversation.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled } from "../support/replies.ts";

const user = (content: string): HistoryMessage => ({ role: "USER", content, status: "COMPLETE" });
const assistant = (content: string, status: HistoryMessage["status"] = "COMPLETE"): HistoryMessage => ({ role: "ASSISTANT", content, status });
/** A message costing exactly `tokens` under the estimate (4 characters a token + 4 overhead). */
const sized = (tokens: number, make: (c: string) => HistoryMessage, mark = "x") => make(mark.padEnd((tokens - 4) * 4, "."));

describe("buildConversation", () => {
  test("budget: the window minus the reply's room (maxTokens, else a quarter of the window up to 4096)", () => {
    expect(promptBudget(8000, 1000)).toBe(7000);
    expect(promptBudget(8000, null)).toBe(6000);
    expect(promptBudget(100_000, null)).toBe(100_000 - 4096);
    expect(messageCost("12345678")).toBe(2 + 4);
  });

  test("everything fits: system prompt, then the whole chat in order", () => {
    const history = [user("hi"), assistant("hello"), user("how are you?")];
    const { messages, dropped } = buildConversation({ systemPrompt: "Be kind.", history, contextWindow: 10_000, maxTokens: 100 });
    expect(messages).toEqual([
      { role: "system", content: "Be kind." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "how are you?" },
    ]);
    expect(dropped).toBe(0);
  });

  test("oldest messages go first, and what is kept is an unbroken recent stretch", () => {
    // Budget 100: the newest (30) + 30 + 30 fit, the next (30) would make 120.
    const history = [sized(30, user, "a"), sized(30, assistant, "b"), sized(5, user, "c"), sized(30, assistant, "d"), sized(30, user, "e"), sized(30, assistant, "f"), sized(30, user, "g")];
    const { messages, dropped, estimatedTokens } = buildConversation({ systemPrompt: "", history, contextWindow: 200, maxTokens: 100 });
    expect(messages.map((m) => m.content[0])).toEqual(["e", "f", "g"]);
    expect(estimatedTokens).toBe(90);
    // "c" (5 tokens) would still fit, but taking it would leave a hole where "d" was.
    expect(dropped).toBe(4);
  });

  test("the system prompt counts against the budget", () => {
    const history = [sized(30, user, "a"), sized(30, assistant, "b"), sized(30, user, "c")];
    const withoutPrompt = buildConversation({ systemPrompt: "", history, contextWindow: 200, maxTokens: 100 });
    const withPrompt = buildConversation({ systemPrompt: "p".repeat(4 * 40), history, contextWindow: 200, maxTokens: 100 });
    expect(withoutPrompt.messages).toHaveLength(3);
    expect(withPrompt.messages.map((m) => m.role)).toEqual(["system", "user"]);
  });

  test("a kept stretch never opens with an assistant reply whose question was trimmed", () => {
    const history = [sized(30, user, "a"), sized(30, assistant, "b"), sized(30, user, "c")];
    // Budget 70: c (30) + b (30) fit, a does not; b then loses its question and goes too.
    const { messages } = buildConversation({ systemPrompt: "", history, contextWindow: 170, maxTokens: 100 });
    expect(messages.map((m) => [m.role, m.content[0]])).toEqual([["user", "c"]]);
  });

  test("the newest message is always sent, even alone over budget (the provider then says so)", () => {
    const huge = sized(5000, user, "h");
    const { messages } = buildConversation({ systemPrompt: "Be brief.", history: [user("old"), huge], contextWindow: 1000, maxTokens: 100 });
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(messages[1]!.content[0]).toBe("h");
  });

  test("failed and empty replies are left out; cancelled ones keep the text the user saw", () => {
    const history = [user("q1"), assistant("partial", "FAILED"), user("q2"), assistant("cut short", "CANCELLED"), assistant(""), user("q3")];
    const { messages } = buildConversation({ systemPrompt: "", history, contextWindow: 10_000, maxTokens: null });
    expect(messages.map((m) => m.content)).toEqual(["q1", "q2", "cut short", "q3"]);
  });
});

describe("end to end", () => {
  let app: TestApp;
  let fake: FakeProvider;
  let ada: TestClient;
  beforeAll(async () => {
    fake = await startFakeProvider();
    app = await startTestApp({ CONTEXT_WINDOW_TOKENS: "100000" });
    ada = await app.signedUp("ada@example.com");
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
  });

  test("a model's contextWindow trims what the provider is sent", async () => {
    // Window 300, maxTokens 100: budget 200 tokens; each message below costs about 54.
    const { chatId } = await modelAndChat(ada, fake.url, { contextWindow: 300, maxTokens: 100 });
    for (const word of ["alpha", "bravo", "charlie"]) {
      fake.scriptNext({ text: `${word} answer `.padEnd(200, "-") });
      await settled(app, (await send(ada, chatId, `${word} question `.padEnd(200, "-"))).reply.id);
    }
    const request = fake.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
    const sentMessages = (request.body as { messages: { role: string; content: string }[] }).messages;
    expect(sentMessages.map((m) => m.content.split(" ")[0])).toEqual(["bravo", "bravo", "charlie"]);
    expect(sentMessages[0]!.role).toBe("user");
  });

  test("contextWindow is validated and shown on the model", async () => {
    const bad = await ada.request(`mutation { createModel(input: { name: "W", providerModelId: "m", baseUrl: "http://x.test/v1", contextWindow: 10 }) { id } }`);
    expect(bad.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "contextWindow" });
    const good = await ada.data(`mutation { createModel(input: { name: "W", providerModelId: "m", baseUrl: "http://x.test/v1", contextWindow: 32768 }) { contextWindow } }`);
    expect(good.createModel.contextWindow).toBe(32768);
  });
});
