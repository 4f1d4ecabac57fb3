/**
 * The official `openai` SDK as a client of AIUI's /v1, with a token of the openai scope,
 * against the loopback provider behind AIUI: list models, a completion, a stream with
 * usage, a transcription of the fixture WAV, errors. Every exchange is an API chat with
 * usage, cost and latency, continued when the client sends the conversation again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { type APIError, toFile } from "openai";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, DEFAULT_TRANSCRIPT, startFakeProvider } from "../support/fake-provider.ts";
import { fixture } from "../support/fixtures.ts";
import { settled } from "../support/replies.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let sdk: OpenAI;
let base: string;
let visionModelId: string;

const PROVIDER_KEY = "sk-provider-secret-key-123";

async function tokenFor(client: TestClient, scopes: string[]) {
  const { createAccessToken } = await client.data(`mutation($s: [TokenScope!]!) { createAccessToken(input: { name: "sdk", scopes: $s }) { secret } }`, { s: scopes });
  return createAccessToken.secret as string;
}

async function model(client: TestClient, input: Record<string, unknown>) {
  const { createModel } = await client.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
    input: { providerModelId: "echo", baseUrl: fake.url, apiKey: PROVIDER_KEY, ...input },
  });
  return createModel.id as string;
}

const lastProviderChat = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body as any;

beforeAll(async () => {
  fake = await startFakeProvider({ apiKey: PROVIDER_KEY });
  app = await startTestApp({ STT_BACKEND: "openai", STT_OPENAI_BASE_URL: fake.url, STT_OPENAI_API_KEY: PROVIDER_KEY });
  base = await app.listen();
  ada = await app.signedUp("ada@example.com");
  await model(ada, { name: "Echo", systemPrompt: "You are terse.", inputCostPerMTok: 1000, outputCostPerMTok: 2000 });
  visionModelId = await model(ada, { name: "Eyes", supportsImages: true });
  const off = await model(ada, { name: "Sleeping" });
  await ada.data(`mutation($id: ID!) { updateModel(id: $id, input: { active: false }) { id } }`, { id: off });
  sdk = new OpenAI({ apiKey: await tokenFor(ada, ["OPENAI"]), baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

async function chatRow(id: string) {
  return app.db.chat.findUniqueOrThrow({ where: { id }, include: { messages: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } } });
}

describe("models", () => {
  test("lists the active models by name, and finds one", async () => {
    const ids = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
    expect(ids).toEqual(["Echo", "Eyes"]);
    expect((await sdk.models.retrieve("Eyes")).id).toBe("Eyes");
  });
});

describe("chat completions", () => {
  test("a completion goes to the model's provider with its key and system prompt and is stored as an API chat with usage, cost and latency", async () => {
    fake.scriptNext({ text: "Paris." });
    const { data, response } = await sdk.chat.completions
      .create({ model: "Echo", messages: [{ role: "user", content: "Capital of France?" }], temperature: 0.2, max_tokens: 50, stop: ["\n\n"] })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("Echo");
    expect(data.choices[0]!.message).toMatchObject({ role: "assistant", content: "Paris." });
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);

    const sent = lastProviderChat();
    expect(sent.messages[0]).toEqual({ role: "system", content: "You are terse." });
    expect(sent.messages.at(-1)).toEqual({ role: "user", content: "Capital of France?" });
    expect(sent).toMatchObject({ temperature: 0.2, max_tokens: 50, stop: ["\n\n"] });
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);

    const chatId = response.headers.get("x-aiui-chat-id")!;
    const chat = await chatRow(chatId);
    expect(chat.source).toBe("API");
    expect(chat.title).toBe("Capital of France?");
    const reply = chat.messages.at(-1)!;
    expect(reply).toMatchObject({ role: "ASSISTANT", content: "Paris.", status: "COMPLETE", usageEstimated: false });
    expect(reply.promptTokens).toBe(data.usage!.prompt_tokens);
    expect(Number(reply.cost)).toBeGreaterThan(0);
    expect(reply.latencyMs).not.toBeNull();
    expect(`chatcmpl-${reply.id}`).toBe(data.id);
  });

  test("a stream arrives as OpenAI's chunks with usage at the end; the web UI lists it under API with its cost", async () => {
    fake.scriptNext({ text: "One two three four five", delayMsPerToken: 5 });
    const stream = await sdk.chat.completions.create({
      model: "Echo",
      messages: [{ role: "user", content: "Count to five" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("One two three four five");
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);

    const listed = await ada.data(`{ chats(first: 5, source: API) { edges { node { id title source messages(last: 2) { edges { node { role content cost promptTokens } } } } } } }`);
    const chat = listed.chats.edges.map((e: any) => e.node).find((c: any) => c.title === "Count to five");
    expect(chat.source).toBe("API");
    const reply = chat.messages.edges.at(-1).node;
    expect(reply).toMatchObject({ role: "ASSISTANT", content: "One two three four five" });
    expect(Number(reply.cost)).toBeGreaterThan(0);
  });

  test("a client that leaves mid-stream: the reply is still written to its end and stored", async () => {
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ");
    fake.scriptNext({ text: words, delayMsPerToken: 10 });
    const stream = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Leave early" }], stream: true });
    let read = "";
    for await (const chunk of stream) {
      read += chunk.choices[0]?.delta.content ?? "";
      if (read.length > 5) break; // the SDK aborts the request
    }
    const reply = await app.db.message.findFirstOrThrow({ where: { role: "ASSISTANT" }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    const stored = await settled(app, reply.id);
    expect(stored).toMatchObject({ status: "COMPLETE", content: words });
    expect(words.startsWith(read)).toBe(true);
  });

  test("the same conversation continues its chat; a changed history branches; another conversation gets its own chat", async () => {
    fake.scriptNext({ text: "Blue." });
    const first = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Sky colour?" }] }).withResponse();
    const chatId = first.response.headers.get("x-aiui-chat-id")!;
    const history = [
      { role: "user" as const, content: "Sky colour?" },
      { role: "assistant" as const, content: "Blue." },
    ];
    fake.scriptNext({ text: "Green." });
    const second = await sdk.chat.completions.create({ model: "Echo", messages: [...history, { role: "user", content: "Grass?" }] }).withResponse();
    expect(second.response.headers.get("x-aiui-chat-id")).toBe(chatId);
    expect((await chatRow(chatId)).messages.map((m) => m.content)).toEqual(["Sky colour?", "Blue.", "Grass?", "Green."]);
    // The provider got the whole conversation from the stored chat.
    expect(lastProviderChat().messages.slice(1).map((m: any) => m.content)).toEqual(["Sky colour?", "Blue.", "Grass?"]);

    // The client rewrote the assistant's answer: named chat, so a branch from the question.
    fake.scriptNext({ text: "Yes." });
    const edited = await sdk.chat.completions
      .create({ model: "Echo", messages: [history[0]!, { role: "assistant", content: "Azure." }, { role: "user", content: "Sure?" }] }, { headers: { "X-AIUI-Chat-Id": chatId } })
      .withResponse();
    expect(edited.response.headers.get("x-aiui-chat-id")).toBe(chatId);
    const chat = await chatRow(chatId);
    expect(chat.messages.map((m) => m.content)).toEqual(["Sky colour?", "Blue.", "Grass?", "Green.", "Azure.", "Sure?", "Yes."]);
    const byContent = new Map(chat.messages.map((m) => [m.content, m]));
    expect(byContent.get("Azure.")!.parentId).toBe(byContent.get("Sky colour?")!.id);
    expect(chat.currentLeafId).toBe(byContent.get("Yes.")!.id);

    fake.scriptNext({ text: "Hi." });
    const other = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hello" }] }).withResponse();
    const otherId = other.response.headers.get("x-aiui-chat-id")!;
    expect(otherId).not.toBe(chatId);
    expect((await chatRow(otherId)).messages.map((m) => [m.role, m.content])).toEqual([
      ["SYSTEM", "Be kind."],
      ["USER", "Hello"],
      ["ASSISTANT", "Hi."],
    ]);
    expect(lastProviderChat().messages.map((m: any) => m.role)).toEqual(["system", "system", "user"]);
  });

  test("naming a chat with the question alone continues it with its stored history (a client that keeps no history)", async () => {
    fake.scriptNext({ text: "Noted: 42." });
    const first = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Remember 42" }] }).withResponse();
    const chatId = first.response.headers.get("x-aiui-chat-id")!;
    fake.scriptNext({ text: "It was 42." });
    const next = await sdk.chat.completions
      .create({ model: "Echo", messages: [{ role: "user", content: "What number?" }] }, { headers: { "X-AIUI-Chat-Id": chatId } })
      .withResponse();
    expect(next.response.headers.get("x-aiui-chat-id")).toBe(chatId);
    expect(lastProviderChat().messages.slice(1).map((m: any) => m.content)).toEqual(["Remember 42", "Noted: 42.", "What number?"]);
    expect((await chatRow(chatId)).messages.map((m) => m.content)).toEqual(["Remember 42", "Noted: 42.", "What number?", "It was 42."]);
  });

  test("an API chat can be continued in the web UI; the tool's next turn then becomes a version beside the web's", async () => {
    fake.scriptNext({ text: "Ready." });
    const first = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Start a list" }] }).withResponse();
    const chatId = first.response.headers.get("x-aiui-chat-id")!;
    // In the web UI (GraphQL, the session cookie), the user carries on in the API chat.
    fake.scriptNext({ text: "Added milk." });
    const web = await ada.data(`mutation($c: ID!) { sendMessage(chatId: $c, content: "Add milk") { reply { id } } }`, { c: chatId });
    expect((await settled(app, web.sendMessage.reply.id)).content).toBe("Added milk.");
    // The tool still holds the conversation without the web's turn: it continues the same chat,
    // its turn a version beside the web's (both kept, the tool's shown), and its provider never sees "Add milk".
    fake.scriptNext({ text: "Added eggs." });
    const next = await sdk.chat.completions
      .create({
        model: "Echo",
        messages: [
          { role: "user", content: "Start a list" },
          { role: "assistant", content: "Ready." },
          { role: "user", content: "Add eggs" },
        ],
      })
      .withResponse();
    expect(next.response.headers.get("x-aiui-chat-id")).toBe(chatId);
    expect(lastProviderChat().messages.slice(1).map((m: any) => m.content)).toEqual(["Start a list", "Ready.", "Add eggs"]);
    const chat = await chatRow(chatId);
    const byContent = new Map(chat.messages.map((m) => [m.content, m]));
    expect(byContent.get("Add eggs")!.parentId).toBe(byContent.get("Ready.")!.id);
    expect(byContent.get("Add milk")!.parentId).toBe(byContent.get("Ready.")!.id);
    expect(chat.currentLeafId).toBe(byContent.get("Added eggs.")!.id);
  });

  test("a reply cut by max_tokens finishes with finish_reason length, streamed or not", async () => {
    fake.scriptNext({ text: "one two three four five six seven" });
    const cut = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Count" }], max_completion_tokens: 3 });
    expect(cut.choices[0]!.finish_reason).toBe("length");
    expect(cut.choices[0]!.message.content).toBe("one two three");
    fake.scriptNext({ text: "one two three four five six seven" });
    const stream = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Count again" }], max_tokens: 2, stream: true });
    const reasons: (string | null)[] = [];
    for await (const chunk of stream) reasons.push(chunk.choices[0]?.finish_reason ?? null);
    expect(reasons.at(-1)).toBe("length");
  });

  test("text and picture parts reach a model that can see; the picture is stored with the message", async () => {
    const jpeg = await fixture("noa-app-request-image.jpg");
    fake.scriptNext({ text: "A test pattern." });
    const answer = await sdk.chat.completions
      .create({
        model: "Eyes",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: { url: `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` } },
            ],
          },
        ],
      })
      .withResponse();
    expect(answer.data.choices[0]!.message.content).toBe("A test pattern.");
    const parts = lastProviderChat().messages.at(-1).content;
    expect(parts[0]).toEqual({ type: "text", text: "What is this?" });
    expect(parts[1].image_url.url).toStartWith("data:image/jpeg;base64,");
    const chat = await chatRow(answer.response.headers.get("x-aiui-chat-id")!);
    expect(chat.modelId).toBe(visionModelId);
    expect(await app.db.attachment.count({ where: { messageId: chat.messages[0]!.id } })).toBe(1);
  });
});

describe("errors, in OpenAI's shape", () => {
  test("an unknown or switched-off model is 404; a parameter out of range is 400 naming it", async () => {
    for (const name of ["Nope", "Sleeping"]) {
      const error = (await sdk.chat.completions.create({ model: name, messages: [{ role: "user", content: "hi" }] }).catch((e) => e)) as APIError;
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error.message).toContain(name);
      expect(error.param).toBe("model");
    }
    const bad = (await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "hi" }], n: 2 }).catch((e) => e)) as APIError;
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.param).toBe("n");
    const hot = (await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "hi" }], temperature: 7 }).catch((e) => e)) as APIError;
    expect(hot.status).toBe(400);
    expect(hot.param).toBe("temperature");
    const remote = (await sdk.chat.completions
      .create({ model: "Eyes", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }] })
      .catch((e) => e)) as APIError;
    expect(remote.status).toBe(400);
    expect(remote.message).toContain("data: URLs");
  });

  test("the provider's failure is a 502 without its key or internals; the message is kept in the chat", async () => {
    fake.scriptNext({ error: { status: 401, message: `Incorrect API key provided: ${PROVIDER_KEY}` } });
    const before = await app.db.message.count();
    const error = (await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Will fail" }] }).catch((e) => e)) as APIError;
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(502);
    expect((error.error as any).code).toBe("provider_error");
    expect(JSON.stringify(error.error)).not.toContain(PROVIDER_KEY);
    expect(error.message).not.toContain("sk-");
    expect(await app.db.message.count()).toBe(before + 2);

    fake.scriptNext({ text: "one two three four five six", cutAfterTokens: 3 });
    const stream = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Will be cut" }], stream: true });
    let text = "";
    const cut = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((e) => e);
    expect(cut).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
  });

  test("a spent monthly budget refuses with 402 budget_exceeded before anything is stored or sent", async () => {
    const ada_ = await app.db.user.findUniqueOrThrow({ where: { email: "ada@example.com" } });
    // Set as an administrator sets it (ada is the first user): the remembered user row, which a send checks the budget against, is dropped.
    const setBudget = (amount: number | null) =>
      ada.data(`mutation($id: ID!, $amount: Float) { setUserBudget(id: $id, monthlyBudget: $amount) { id } }`, { id: ada_.id, amount });
    await setBudget(0);
    try {
      const [chats, messages, asked] = [await app.db.chat.count(), await app.db.message.count(), fake.requests.length];
      for (const messages_ of [
        [{ role: "user" as const, content: "One question" }],
        [
          { role: "user" as const, content: "A history" },
          { role: "assistant" as const, content: "Yes" },
          { role: "user" as const, content: "Then a question" },
        ],
      ]) {
        const error = (await sdk.chat.completions.create({ model: "Echo", messages: messages_ }).catch((e) => e)) as APIError;
        expect(error.status).toBe(402);
        expect((error.error as any).code).toBe("budget_exceeded");
        expect(error.message).toContain("monthly budget");
      }
      expect([await app.db.chat.count(), await app.db.message.count(), fake.requests.length]).toEqual([chats, messages, asked]);
    } finally {
      await setBudget(null);
    }
  });

  test("no token, a token of another scope, and another user's chat id", async () => {
    const anonymous = new OpenAI({ apiKey: "aiui_pat_not-a-token", baseURL: `${base}/v1`, maxRetries: 0 });
    expect(await anonymous.models.list().catch((e) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    const graphqlOnly = new OpenAI({ apiKey: await tokenFor(ada, ["GRAPHQL"]), baseURL: `${base}/v1`, maxRetries: 0 });
    expect(await graphqlOnly.models.list().catch((e) => e)).toBeInstanceOf(OpenAI.PermissionDeniedError);

    const bo = await app.signedUp("bo@example.com");
    const boChat = (await bo.data(`mutation { createChat(input: { title: "Bo's" }) { id } }`)).createChat.id;
    const error = (await sdk.chat.completions
      .create({ model: "Echo", messages: [{ role: "user", content: "Into Bo's chat" }] }, { headers: { "X-AIUI-Chat-Id": boChat } })
      .catch((e) => e)) as APIError;
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await app.db.message.count({ where: { chatId: boChat } })).toBe(0);
  });
});

describe("transcriptions", () => {
  test("the fixture WAV in json, text and verbose_json", async () => {
    const wav = await fixture("whats-the-capital-of-france.16k.wav");
    const file = () => toFile(wav, "question.wav", { type: "audio/wav" });
    const json = await sdk.audio.transcriptions.create({ file: await file(), model: "whisper-1" });
    expect(json.text).toBe(DEFAULT_TRANSCRIPT);
    const text = await sdk.audio.transcriptions.create({ file: await file(), model: "whisper-1", response_format: "text" });
    expect(String(text).trim()).toBe(DEFAULT_TRANSCRIPT);
    const verbose = await sdk.audio.transcriptions.create({ file: await file(), model: "whisper-1", response_format: "verbose_json", language: "en" });
    expect(verbose.text).toBe(DEFAULT_TRANSCRIPT);
    expect(verbose.duration).toBeCloseTo(29_014 / 16_000, 2);
    expect(verbose.segments![0]).toMatchObject({ id: 0, start: 0, text: DEFAULT_TRANSCRIPT });
    // What reached the speech service: our decoding of the upload, as a WAV.
    const sent = fake.requests.filter((r) => r.path === "/v1/audio/transcriptions").at(-1)!;
    expect(sent.form?.file).toBeDefined();

    const broken = (await sdk.audio.transcriptions.create({ file: await toFile(new Uint8Array([1, 2, 3]), "x.wav"), model: "whisper-1" }).catch((e) => e)) as APIError;
    expect(broken.status).toBeGreaterThanOrEqual(400);
    expect(broken.status).toBeLessThan(500);
    expect(broken.param).toBe("file");
  });
});

test("replies through the API settle like web replies (nothing left streaming)", async () => {
  const streaming = await app.db.message.findMany({ where: { status: "STREAMING" } });
  for (const row of streaming) await settled(app, row.id);
  expect(await app.db.message.count({ where: { status: "STREAMING" } })).toBe(0);
});

test("/openapi describes /v1 and the glasses route, with bearer authentication", async () => {
  const spec = (await (await fetch(`${base}/openapi/json`)).json()) as any;
  expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(["/v1/models", "/v1/chat/completions", "/v1/audio/transcriptions", "/mm/mm/"]));
  const completions = spec.paths["/v1/chat/completions"].post;
  expect(completions.requestBody.content["application/json"].schema.required).toEqual(["model", "messages"]);
  expect(Object.keys(completions.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "403", "404", "429", "502"]));
  expect(spec.paths["/v1/audio/transcriptions"].post.requestBody.content["multipart/form-data"].schema.properties.response_format.enum).toEqual([
    "json",
    "text",
    "verbose_json",
  ]);
  expect(spec.components.securitySchemes.bearerAuth.scheme).toBe("bearer");
  expect(spec.paths["/graphql"]).toBeUndefined();
});

test("text no database can store (NUL, a lone surrogate) is refused with 400 naming where it is; nothing is stored", async () => {
  const before = await app.db.message.count();
  for (const [content, param] of [
    ["a\u0000b", "messages[0].content"],
    [[{ type: "text", text: "half an emoji \ud83d" }], "messages[0].content[0].text"],
  ] as const) {
    const error = (await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: content as never }] }).catch((e) => e)) as APIError;
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
  }
  expect(await app.db.message.count()).toBe(before);
});

describe("bad requests get 400 in OpenAI's shape, naming the parameter; nothing is stored", () => {
  const cases: [string, string, string | null][] = [
    ["not JSON", "{", null],
    ["an array body", "[]", "body"],
    ["no model", JSON.stringify({ messages: [{ role: "user", content: "hi" }] }), "model"],
    ["no messages", JSON.stringify({ model: "Echo" }), "messages"],
    ["an empty message list", JSON.stringify({ model: "Echo", messages: [] }), "messages"],
    ["a message that is a string", JSON.stringify({ model: "Echo", messages: ["hi"] }), "messages[0]"],
    ["an unknown role", JSON.stringify({ model: "Echo", messages: [{ role: "robot", content: "hi" }] }), "messages[0].role"],
    ["a tool message", JSON.stringify({ model: "Echo", messages: [{ role: "tool", content: "42", tool_call_id: "x" }] }), "messages[0].role"],
    ["the assistant last", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "ho" }] }), "messages[1].role"],
    ["content of another type", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: 42 }] }), "messages[0].content"],
    ["a part of an unknown type", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: [{ type: "audio" }] }] }), "messages[0].content[0].type"],
    ["a picture that is no picture", JSON.stringify({ model: "Eyes", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,aGVsbG8=" } }] }] }), "messages[0].content"],
    ["a picture from the assistant", JSON.stringify({ model: "Eyes", messages: [{ role: "assistant", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,aGVsbG8=" } }] }, { role: "user", content: "?" }] }), "messages[0].content[0]"],
    ["temperature as text", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "hi" }], temperature: "hot" }), "temperature"],
    ["max_tokens 0", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "hi" }], max_tokens: 0 }), "max_tokens"],
    ["five stop sequences", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "hi" }], stop: ["a", "b", "c", "d", "e"] }), "stop"],
    ["tools", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "f" } }] }), "tools"],
    ["stream as text", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "hi" }], stream: "yes" }), "stream"],
    ["an empty question", JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "   " }] }), "messages[0].content"],
    [
      "an empty question after a history",
      JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "Earlier" }, { role: "assistant", content: "Yes" }, { role: "user", content: "" }] }),
      "messages[2].content",
    ],
  ];
  test.each(cases)("%s", async (_name, body, param) => {
    const before = await app.db.message.count();
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sdk.apiKey}` },
      body,
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as any;
    expect(answer.error.type).toBe("invalid_request_error");
    expect(typeof answer.error.message).toBe("string");
    expect(answer.error.param).toBe(param);
    expect(await app.db.message.count()).toBe(before);
  });
});

describe("shared models", () => {
  test("a model an administrator shares is listed and answers through /v1, with the administrator's key; an own model wins its name", async () => {
    // ada signed up first: she is the administrator.
    await ada.data(`mutation($input: CreateSharedModelInput!) { createSharedModel(input: $input) { id } }`, {
      input: { name: "Team", providerModelId: "echo", baseUrl: fake.url, apiKey: PROVIDER_KEY, sharedWithAll: true, inputCostPerMTok: 1, outputCostPerMTok: 1 },
    });
    const cy = await app.signedUp("cy@example.com");
    const cySdk = new OpenAI({ apiKey: await tokenFor(cy, ["OPENAI"]), baseURL: `${base}/v1`, maxRetries: 0 });
    const listed = [];
    for await (const m of cySdk.models.list()) listed.push([m.id, m.owned_by]);
    expect(listed).toEqual([["Team", "shared"]]);

    fake.scriptNext({ text: "From the team model." });
    const answer = await cySdk.chat.completions.create({ model: "Team", messages: [{ role: "user", content: "Hello team" }] }).withResponse();
    expect(answer.data.choices[0]!.message.content).toBe("From the team model.");
    expect(fake.requests.at(-1)!.model).toBe("echo");
    const chat = await chatRow(answer.response.headers.get("x-aiui-chat-id")!);
    expect(chat.source).toBe("API");
    expect((await app.db.user.findUniqueOrThrow({ where: { id: chat.userId } })).email).toBe("cy@example.com");

    // Cy's own model of the same name answers from now on.
    await cy.data(`mutation($u: String!, $k: String) { createModel(input: { name: "Team", providerModelId: "cy-own", baseUrl: $u, apiKey: $k }) { id } }`, { u: fake.url, k: PROVIDER_KEY });
    const ids = [];
    for await (const m of cySdk.models.list()) ids.push([m.id, m.owned_by]);
    expect(ids).toEqual([["Team", "user"]]);
    fake.scriptNext({ text: "From cy's own." });
    await cySdk.chat.completions.create({ model: "Team", messages: [{ role: "user", content: "Hello mine" }] });
    expect(fake.requests.at(-1)!.model).toBe("cy-own");
  });
});

test("a page on another origin may call /v1 with its token (CORS without credentials), and read the chat id", async () => {
  const preflight = await fetch(`${base}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: { origin: "https://chat.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-stainless-os" },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
  expect(preflight.headers.get("access-control-allow-headers")).toContain("x-stainless-os");
  expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();

  fake.scriptNext({ text: "Cross-origin." });
  const answer = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { origin: "https://chat.example", authorization: `Bearer ${sdk.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "Echo", messages: [{ role: "user", content: "From a web page" }] }),
  });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  expect(answer.headers.get("access-control-expose-headers")).toContain("x-aiui-chat-id");
  // Refusals carry them too, so the page can read the error.
  const refused = await fetch(`${base}/v1/models`, { headers: { origin: "https://chat.example", authorization: "Bearer aiui_pat_wrong" } });
  expect(refused.status).toBe(401);
  expect(refused.headers.get("access-control-allow-origin")).toBe("*");
});
