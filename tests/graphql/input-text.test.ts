/**
 * Text no database can store — the NUL character, an unpaired UTF-16 surrogate — is refused
 * where it enters, naming the field: in every GraphQL string and ID (literals and variables,
 * server/src/graphql/input-text.ts) and in every text field of the glasses form
 * (glasses/request.ts). Before: PostgreSQL answered INTERNAL, SQLite stored the text and read
 * it back cut off at the NUL, and a lone surrogate in sendMessage failed on all three.
 * Prices beyond what DECIMAL(65,30) holds are refused too (1e300 failed on PostgreSQL and MySQL).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

let app: TestApp;
let provider: FakeProvider;
let ada: TestClient;
let modelId: string;
let chatId: string;
let glassesToken: string;

const NUL = "before\u0000after";
const LONE_HIGH = "emoji half: \ud83d!";
const LONE_LOW = "\udc4b";

beforeAll(async () => {
  provider = await startFakeProvider();
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
  modelId = (
    await ada.data(`mutation($url: String!) { createModel(input: { name: "Echo", providerModelId: "echo", baseUrl: $url }) { id } }`, {
      url: provider.url,
    })
  ).createModel.id;
  chatId = (await ada.data(`mutation($m: ID) { createChat(input: { title: "Kept", modelId: $m }) { id } }`, { m: modelId })).createChat.id;
  glassesToken = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
});

afterAll(async () => {
  await app.close();
  await provider.stop();
});

function expectRefused(result: Awaited<ReturnType<TestClient["request"]>>, field: string, path = field) {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field });
  expect(result.errors?.[0]?.message).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, "\\$&")} contains (the NUL character|an unpaired UTF-16 surrogate)`));
}

describe("GraphQL: every string and ID, as a variable or a literal", () => {
  const cases: { name: string; query: string; variables: (bad: string) => Record<string, unknown>; field: string; path?: string }[] = [
    {
      name: "sendMessage content",
      query: `mutation($c: ID!, $content: String!) { sendMessage(chatId: $c, content: $content) { reply { id } } }`,
      variables: (bad) => ({ c: chatId, content: bad }),
      field: "content",
    },
    {
      name: "an ID argument",
      query: `query($id: ID!) { chat(id: $id) { id } }`,
      variables: (bad) => ({ id: `chat-${bad}` }),
      field: "id",
    },
    {
      name: "an input object's field",
      query: `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`,
      variables: (bad) => ({ input: { name: "M", providerModelId: "echo", baseUrl: provider.url, systemPrompt: bad } }),
      field: "systemPrompt",
      path: "input.systemPrompt",
    },
    {
      name: "renameChat title",
      query: `mutation($id: ID!, $t: String!) { renameChat(id: $id, title: $t) { id } }`,
      variables: (bad) => ({ id: chatId, t: bad }),
      field: "title",
    },
    {
      name: "sign-up email",
      query: `mutation($input: SignUpInput!) { signUp(input: $input) { id } }`,
      variables: (bad) => ({ input: { email: `x${bad}@example.com`, password: "correct horse battery" } }),
      field: "email",
      path: "input.email",
    },
    {
      name: "glasses persona",
      query: `mutation($input: GlassesSettingsInput!) { updateGlassesSettings(input: $input) { persona } }`,
      variables: (bad) => ({ input: { persona: bad } }),
      field: "persona",
      path: "input.persona",
    },
    {
      name: "glasses token name",
      query: `mutation($n: String!) { createGlassesToken(name: $n) { secret } }`,
      variables: (bad) => ({ n: bad }),
      // Named by the argument the variable fills, not by the variable.
      field: "name",
    },
  ];

  for (const { name, query, variables, field, path } of cases) {
    test(`${name}: NUL and both kinds of lone surrogate are refused, naming the field; nothing is stored`, async () => {
      const before = { messages: await app.db.message.count(), models: await app.db.aiModel.count(), users: await app.db.user.count() };
      for (const bad of [NUL, LONE_HIGH, LONE_LOW]) {
        expectRefused(await ada.request(query, variables(bad)), field, path ?? field);
      }
      expect({ messages: await app.db.message.count(), models: await app.db.aiModel.count(), users: await app.db.user.count() }).toEqual(before);
      const chat = await app.db.chat.findUniqueOrThrow({ where: { id: chatId } });
      expect(chat.title).toBe("Kept");
    });
  }

  test("a NUL in a literal of the document is refused the same way, named by its argument path", async () => {
    const result = await ada.request(`mutation { createChat(input: { title: "a\\u0000b" }) { id } }`);
    expectRefused(result, "title", "input.title");
  });

  test("well-formed text round-trips unchanged: emoji (surrogate pairs), accents, other control characters", async () => {
    const text = "👋🏽 café — \u0001\u007f tab\there 𝕏";
    const sent = await ada.data(`mutation($c: ID!, $content: String!) { sendMessage(chatId: $c, content: $content) { message { content } } }`, {
      c: chatId,
      content: text,
    });
    expect(sent.sendMessage.message.content).toBe(text);
    const stored = await app.db.message.findFirstOrThrow({ where: { chatId, role: "USER" }, orderBy: { createdAt: "desc" } });
    expect(stored.content).toBe(text);
  });
});

describe("the glasses form: every text field", () => {
  function post(fields: Record<string, string>) {
    const body = new FormData();
    for (const [key, value] of Object.entries({ messages: "[]", location: "", time: "2025-07-02 11:29:48.054846", prompt: "Hello", ...fields })) {
      body.append(key, value);
    }
    return app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${glassesToken}` }, body }));
  }

  test("prompt, location and time with a NUL: 400 naming the field; nothing is saved", async () => {
    const before = await app.db.message.count();
    for (const field of ["prompt", "location", "time"]) {
      const response = await post({ [field]: NUL });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toMatch(new RegExp(`^${field} contains the NUL character`));
    }
    expect(await app.db.message.count()).toBe(before);
  });

  test("history content with a NUL or a lone surrogate (JSON escapes): 400 naming the entry", async () => {
    for (const escaped of ["\\u0000", "\\ud800", "\\udfff"]) {
      const response = await post({ messages: `[{"role":"user","content":"hi"},{"role":"assistant","content":"x${escaped}y"}]` });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/^messages\[1\]\.content contains (the NUL character|an unpaired UTF-16 surrogate)/);
    }
  });

  test("well-formed text still gets its answer", async () => {
    const response = await post({ prompt: "Grüße 👋🏽", location: "Café Zürich" });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user_prompt: string }).user_prompt).toBe("Grüße 👋🏽");
  });
});

describe("prices", () => {
  const create = (price: number) =>
    // A name per price: model names are unique per user.
    ada.request(`mutation($url: String!, $p: Float!, $n: String!) { createModel(input: { name: $n, providerModelId: "echo", baseUrl: $url, inputCostPerMTok: $p }) { inputCostPerMTok } }`, {
      url: provider.url,
      p: price,
      n: `Priced ${price}`,
    });

  test("1e300 (and anything over a billion per 1M tokens) is refused naming the field", async () => {
    for (const price of [1e300, 1_000_000_001]) {
      const result = await create(price);
      expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "inputCostPerMTok" });
      expect(result.errors?.[0]?.message).toBe("Input price must be at most 1000000000 (dollars per 1M tokens).");
    }
    const update = await ada.request(`mutation($id: ID!) { updateModel(id: $id, input: { outputCostPerMTok: 1e300 }) { id } }`, { id: modelId });
    expect(update.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "outputCostPerMTok" });
  });

  test("the largest allowed price is stored and read back on every database", async () => {
    expect((await create(1_000_000_000)).data).toEqual({ createModel: { inputCostPerMTok: 1_000_000_000 } });
    expect((await create(0.000123)).data).toEqual({ createModel: { inputCostPerMTok: 0.000123 } });
  });
});

describe("token counts a provider reports", () => {
  test("a count no INT column holds (1e12, negative, fractional) is not stored: the usage is estimated instead", async () => {
    for (const reportUsage of [{ prompt_tokens: 1e12 }, { completion_tokens: -5 }, { prompt_tokens: 2.5 }]) {
      provider.scriptNext({ text: "Fine answer.", reportUsage });
      const sent = await ada.data(`mutation($c: ID!) { sendMessage(chatId: $c, content: "Count this") { reply { id } } }`, { c: chatId });
      const events = await ada.stream(`subscription($m: ID!) { replyStream(messageId: $m) { done status error usage { promptTokens estimated } } }`, {
        m: sent.sendMessage.reply.id,
      });
      expect(events.at(-1)?.data?.replyStream).toMatchObject({ done: true, status: "COMPLETE", error: null, usage: { estimated: true } });
      const stored = await app.db.message.findUniqueOrThrow({ where: { id: sent.sendMessage.reply.id } });
      expect({ status: stored.status, content: stored.content, usageEstimated: stored.usageEstimated }).toEqual({
        status: "COMPLETE",
        content: "Fine answer.",
        usageEstimated: true,
      });
      expect(stored.promptTokens).toBeLessThan(2 ** 31);
    }
  });

  test("the glasses' one-shot answer too", async () => {
    provider.scriptNext({ text: "Short.", reportUsage: { prompt_tokens: 1e12 } });
    const body = new FormData();
    body.append("prompt", "How many?");
    const response = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${glassesToken}` }, body }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { debug: { usage: { estimated: boolean } } }).debug.usage.estimated).toBe(true);
  });
});
