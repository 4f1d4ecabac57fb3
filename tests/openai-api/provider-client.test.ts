/**
 * The provider's SDK client is made once per model configuration and reused (decrypting the
 * key and building a client per /v1 request was work on every answer's path), and a model
 * whose key or address changes is called with the new one at its next request.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { randomBytes } from "node:crypto";
import { createSecretBox } from "../../server/src/crypto/secret-box.ts";
import { providerClient } from "../../server/src/generation/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

let app: TestApp;
let fake: FakeProvider;
let other: FakeProvider;
let ada: TestClient;
let sdk: OpenAI;
let modelId: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  other = await startFakeProvider();
  app = await startTestApp();
  const base = await app.listen();
  ada = await app.signedUp("ada@example.com");
  const { createModel } = await ada.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
    input: { name: "Echo", providerModelId: "echo", baseUrl: fake.url, apiKey: "sk-first-key" },
  });
  modelId = createModel.id;
  const { createAccessToken } = await ada.data(`mutation { createAccessToken(input: { name: "sdk", scopes: [OPENAI] }) { secret } }`);
  sdk = new OpenAI({ apiKey: createAccessToken.secret, baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await app.close();
  await fake.stop();
  await other.stop();
});

const ask = async (text: string) => {
  fake.scriptNext({ text: "Fine." });
  other.scriptNext({ text: "Fine." });
  const answer = await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: text }] });
  expect(answer.choices[0]!.message.content).toBe("Fine.");
};
const lastCall = (provider: FakeProvider) => provider.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
const update = (input: Record<string, unknown>) => ada.data(`mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { id } }`, { id: modelId, input });

describe("the provider client", () => {
  test("one client serves every call to an unchanged model; a changed model gets a new one", async () => {
    const network = app.config.providerNetwork;
    const box = createSecretBox(randomBytes(32));
    const row = { ...(await app.db.aiModel.findUniqueOrThrow({ where: { id: modelId } })), id: "unit-model", apiKeyCiphertext: box.seal("sk-a") };
    const first = providerClient(row, box, 5000, network);
    expect(first.apiKey).toBe("sk-a");
    expect(providerClient({ ...row }, box, 5000, network)).toBe(first);
    const moved = providerClient({ ...row, baseUrl: other.url }, box, 5000, network);
    expect(moved).not.toBe(first);
    expect(moved.baseURL).toBe(other.url);
    expect(providerClient({ ...row, apiKeyCiphertext: box.seal("sk-b") }, box, 5000, network).apiKey).toBe("sk-b");
    expect(providerClient({ ...row, apiKeyCiphertext: null }, box, 5000, network).apiKey).toBe("unused");
  });

  test("a new key and a new address are each used from the next request on", async () => {
    await ask("one");
    expect(lastCall(fake).headers.authorization).toBe("Bearer sk-first-key");
    await update({ apiKey: "sk-second-key" });
    await ask("two");
    expect(lastCall(fake).headers.authorization).toBe("Bearer sk-second-key");
    await update({ baseUrl: other.url });
    const before = fake.requests.length;
    await ask("three");
    expect(fake.requests.length).toBe(before);
    expect(lastCall(other).headers.authorization).toBe("Bearer sk-second-key");
  });
});
