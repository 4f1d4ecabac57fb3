import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSecretBox } from "../../server/src/crypto/secret-box.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

const MODEL_FIELDS = `id name providerModelId baseUrl hasApiKey apiKeyLast4 description bestUseCases
  inputCostPerMTok outputCostPerMTok maxTokens temperature systemPrompt supportsImages active`;
const CREATE = `mutation($input: CreateModelInput!) { createModel(input: $input) { ${MODEL_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { ${MODEL_FIELDS} } }`;
const SECRET = "sk-or-v1-0123456789abcdefWXYZ";

let app: TestApp;
let ada: TestClient;
beforeAll(async () => {
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
});
afterAll(() => app.close());

const valid = {
  name: "GPT-OSS 20B",
  providerModelId: "openai/gpt-oss-20b:free",
  baseUrl: "https://openrouter.ai/api/v1/",
  apiKey: SECRET,
  description: "Open weights, fast",
  bestUseCases: "drafts, quick questions",
  inputCostPerMTok: 0.05,
  outputCostPerMTok: 0.2,
  maxTokens: 1024,
  temperature: 0.3,
  systemPrompt: "Be brief.",
  supportsImages: false,
};

describe("API keys", () => {
  test("a created model reports only that a key is set and its last four characters", async () => {
    const { createModel } = await ada.data(CREATE, { input: valid });
    expect(createModel).toMatchObject({
      name: "GPT-OSS 20B",
      baseUrl: "https://openrouter.ai/api/v1",
      hasApiKey: true,
      apiKeyLast4: "WXYZ",
      inputCostPerMTok: 0.05,
      outputCostPerMTok: 0.2,
      maxTokens: 1024,
      temperature: 0.3,
      active: true,
    });
    expect(JSON.stringify(createModel)).not.toContain(SECRET);
  });

  test("the key is stored encrypted with the server key, and no table holds it in plaintext", async () => {
    const stored = await app.db.aiModel.findFirstOrThrow({ where: { name: "GPT-OSS 20B" } });
    expect(stored.apiKeyCiphertext).not.toContain(SECRET);
    expect(createSecretBox(app.encryptionKey).open(stored.apiKeyCiphertext!)).toBe(SECRET);
    // A whole-database dump, table by table, never contains the key.
    const dump = JSON.stringify(
      await Promise.all([app.db.user.findMany(), app.db.session.findMany(), app.db.aiModel.findMany(), app.db.chat.findMany(), app.db.message.findMany()]),
    );
    expect(dump).not.toContain(SECRET);
    expect(dump).not.toContain("0123456789abcdef");
  });

  test("omitting apiKey keeps it; a new key replaces it; null removes it", async () => {
    const { id } = (await ada.data(CREATE, { input: { ...valid, name: "Keyed" } })).createModel;
    const kept = await ada.data(UPDATE, { id, input: { temperature: 1.5 } });
    expect(kept.updateModel).toMatchObject({ hasApiKey: true, apiKeyLast4: "WXYZ", temperature: 1.5 });
    const replaced = await ada.data(UPDATE, { id, input: { apiKey: "sk-new-key-9876" } });
    expect(replaced.updateModel).toMatchObject({ hasApiKey: true, apiKeyLast4: "9876" });
    const removed = await ada.data(UPDATE, { id, input: { apiKey: null } });
    expect(removed.updateModel).toMatchObject({ hasApiKey: false, apiKeyLast4: null });
    expect((await app.db.aiModel.findUniqueOrThrow({ where: { id } })).apiKeyCiphertext).toBeNull();
  });
});

describe("validation names the field as the form does and stores nothing", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["baseUrl", { baseUrl: "ftp://example.com" }, "Base URL must start with http:// or https://."],
    ["baseUrl", { baseUrl: "not a url" }, "Base URL must be a URL such as https://openrouter.ai/api/v1."],
    ["temperature", { temperature: 2.5 }, "Temperature must be between 0 and 2."],
    ["temperature", { temperature: -0.1 }, "Temperature must be between 0 and 2."],
    ["maxTokens", { maxTokens: 0 }, "Max tokens must be a positive whole number."],
    ["maxTokens", { maxTokens: -5 }, "Max tokens must be a positive whole number."],
    ["inputCostPerMTok", { inputCostPerMTok: -1 }, "Input price must be zero or more (dollars per 1M tokens)."],
    ["name", { name: "   " }, "Name is required."],
  ];
  for (const [field, change, sentence] of cases) {
    test(`${field} = ${JSON.stringify(Object.values(change)[0])}`, async () => {
      const before = await app.db.aiModel.count();
      const result = await ada.request(CREATE, { input: { ...valid, ...change } });
      expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field });
      expect(result.errors?.[0]?.message).toBe(sentence);
      expect(await app.db.aiModel.count()).toBe(before);
    });
  }

  test("an empty form is answered with every wrong field at once, each in its own words", async () => {
    const before = await app.db.aiModel.count();
    const result = await ada.request(CREATE, { input: { name: "", providerModelId: " ", baseUrl: "", temperature: 3, outputCostPerMTok: -2 } });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "name",
      fields: {
        name: "Name is required.",
        providerModelId: "Model id is required.",
        baseUrl: "Base URL is required.",
        outputCostPerMTok: "Output price must be zero or more (dollars per 1M tokens).",
        temperature: "Temperature must be between 0 and 2.",
      },
    });
    expect(result.errors?.[0]?.message).toContain("Name is required. Model id is required. Base URL is required.");
    expect(await app.db.aiModel.count()).toBe(before);
  });

  test("updates are validated the same way and change nothing", async () => {
    const { id } = (await ada.data(CREATE, { input: { ...valid, name: "Stable" } })).createModel;
    const result = await ada.request(UPDATE, { id, input: { name: "Changed", temperature: 9 } });
    expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "temperature" });
    expect((await app.db.aiModel.findUniqueOrThrow({ where: { id } })).name).toBe("Stable");
  });

  test("a missing required field is a GraphQL input error, not a server error", async () => {
    const result = await ada.request(CREATE, { input: { name: "x", baseUrl: "https://x.example" } });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(result.errors?.[0]?.message).toContain("providerModelId");
  });
});

test("deleting a model keeps its chats, without a model; the model says how many chats use it", async () => {
  const { id } = (await ada.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id chatCount } }`, { input: { ...valid, name: "Short-lived" } })).createModel;
  const chat = await ada.data(`mutation($m: ID) { createChat(input: { title: "Keep me", modelId: $m }) { id model { id } } }`, { m: id });
  expect(chat.createChat.model.id).toBe(id);
  const counted = await ada.data(`mutation($id: ID!) { updateModel(id: $id, input: {}) { chatCount } }`, { id });
  expect(counted.updateModel.chatCount).toBe(1);
  expect((await ada.data(`{ models { id chatCount } }`)).models.find((m: { id: string }) => m.id === id).chatCount).toBe(1);
  expect(await ada.data(`mutation($id: ID!) { deleteModel(id: $id) }`, { id })).toEqual({ deleteModel: id });
  const after = await ada.data(`query($id: ID!) { chat(id: $id) { title model { id } } }`, { id: chat.createChat.id });
  expect(after.chat).toEqual({ title: "Keep me", model: null });
  const again = await ada.request(`query($id: ID!) { model(id: $id) { id } }`, { id });
  expect(again.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
});

test("a 50,000-character system prompt in a 3-byte script (150 KB of UTF-8) is stored whole on every database", async () => {
  const prompt = "漢".repeat(50_000);
  const { createModel } = await ada.data(CREATE, { input: { ...valid, name: "Long prompt", systemPrompt: prompt } });
  expect(createModel.systemPrompt).toBe(prompt);
  expect((await app.db.aiModel.findUniqueOrThrow({ where: { id: createModel.id } })).systemPrompt).toBe(prompt);
});
