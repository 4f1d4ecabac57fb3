/**
 * "Test connection" and "Fetch models" on the models page, against the loopback provider
 * (which lists its models at /v1/models and checks its API key) and a provider without a
 * model list: the outcome in plain words, for a form's values or a saved model.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
/** A provider that has no /models but answers chat completions (some local servers). */
let listless: ReturnType<typeof Bun.serve>;
let listlessCalls: string[];
const KEY = "sk-connection-test";

beforeAll(async () => {
  fake = await startFakeProvider({ apiKey: KEY });
  fake.script("storyteller", { text: "Once." });
  listlessCalls = [];
  listless = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      listlessCalls.push(`${request.method} ${path}`);
      if (path === "/v1/chat/completions") {
        const body = (await request.json()) as { model: string };
        if (body.model !== "local-model") return Response.json({ error: { message: "no such model" } }, { status: 404 });
        return Response.json({
          id: "x",
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: "OK" }, finish_reason: "length" }],
        });
      }
      return Response.json({ error: { message: "not found" } }, { status: 404 });
    },
  });
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
});
afterAll(async () => {
  await app.close();
  await fake.stop();
  await listless.stop(true);
});

const TEST = `mutation($input: ModelConnectionInput!) { testModelConnection(input: $input) { ok message modelIds } }`;
const FETCH = `mutation($input: ModelConnectionInput!) { fetchProviderModels(input: $input) { ok message modelIds } }`;
const host = () => new URL(fake.url).host;

describe("test connection", () => {
  test("a reachable provider that offers the model: ok, and its model list", async () => {
    const { testModelConnection } = await ada.data(TEST, { input: { baseUrl: fake.url, apiKey: KEY, providerModelId: "storyteller" } });
    expect(testModelConnection).toEqual({
      ok: true,
      message: `Connected to ${host()}: the model "storyteller" is available.`,
      modelIds: ["echo", "storyteller", "tts-1", "whisper-1"],
    });
  });

  test("a model id the provider does not offer: not ok, saying so", async () => {
    const { testModelConnection } = await ada.data(TEST, { input: { baseUrl: fake.url, apiKey: KEY, providerModelId: "gtp-4" } });
    expect(testModelConnection.ok).toBe(false);
    expect(testModelConnection.message).toBe(
      `Connected to ${host()}, but it does not offer the model "gtp-4". Check the model id (it offers 4 models: Fetch models lists them).`,
    );
  });

  test("a wrong key, or nothing listening: not ok, in words that say what to check", async () => {
    const wrongKey = (await ada.data(TEST, { input: { baseUrl: fake.url, apiKey: "sk-wrong", providerModelId: "echo" } })).testModelConnection;
    expect(wrongKey).toEqual({ ok: false, message: `The provider at ${host()} rejected the API key (401). Check the model's API key.`, modelIds: [] });
    const closed = (await ada.data(TEST, { input: { baseUrl: "http://127.0.0.1:9/v1", providerModelId: "echo" } })).testModelConnection;
    expect(closed.ok).toBe(false);
    expect(closed.message).toContain("Could not connect to 127.0.0.1:9");
  });

  test("a saved model is tested with its stored key; form values override it", async () => {
    const { createModel } = await ada.data(
      `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`,
      { input: { name: "Saved", providerModelId: "storyteller", baseUrl: fake.url, apiKey: KEY } },
    );
    expect((await ada.data(TEST, { input: { modelId: createModel.id } })).testModelConnection.ok).toBe(true);
    expect((await ada.data(TEST, { input: { modelId: createModel.id, apiKey: "sk-typed-wrong" } })).testModelConnection.ok).toBe(false);
    const bob = await app.signedUp("bob@example.com");
    const foreign = await bob.request(TEST, { input: { modelId: createModel.id } });
    expect(foreign.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  test("a provider without a model list is asked for a one-token answer", async () => {
    const baseUrl = `http://127.0.0.1:${listless.port}/v1`;
    const { testModelConnection } = await ada.data(TEST, { input: { baseUrl, providerModelId: "local-model" } });
    expect(testModelConnection).toEqual({ ok: true, message: `Connected to 127.0.0.1:${listless.port}: the model "local-model" answered.`, modelIds: [] });
    expect(listlessCalls).toEqual(["GET /v1/models", "POST /v1/chat/completions"]);
    const unknown = (await ada.data(TEST, { input: { baseUrl, providerModelId: "other" } })).testModelConnection;
    expect(unknown.ok).toBe(false);
    expect(unknown.message).toContain('does not know the model "other" (404)');
  });

  test("a bad base URL is an input error naming the field", async () => {
    const result = await ada.request(TEST, { input: { baseUrl: "ftp://x", providerModelId: "m" } });
    expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "baseUrl" });
    expect(result.errors?.[0]?.message).toBe("Base URL must start with http:// or https://.");
  });
});

describe("fetch models", () => {
  test("lists the provider's model ids to pick from", async () => {
    const { fetchProviderModels } = await ada.data(FETCH, { input: { baseUrl: fake.url, apiKey: KEY } });
    expect(fetchProviderModels).toEqual({ ok: true, message: `Connected to ${host()}: it offers 4 models.`, modelIds: ["echo", "storyteller", "tts-1", "whisper-1"] });
  });

  test("a provider without a list says to type the model id", async () => {
    const { fetchProviderModels } = await ada.data(FETCH, { input: { baseUrl: `http://127.0.0.1:${listless.port}/v1` } });
    expect(fetchProviderModels).toEqual({ ok: false, message: `127.0.0.1:${listless.port} has no model list: enter the model id and test again.`, modelIds: [] });
  });

  test("anonymous: UNAUTHENTICATED", async () => {
    const result = await app.client().request(FETCH, { input: { baseUrl: fake.url } });
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
