/**
 * /v1 remembers the user's own model found by the name a request gave (no model read on the
 * next request), so every change of the user's to that model must be seen by the very next
 * request: switched off, renamed, deleted. Shared models are read every time: an
 * administrator's withdrawal is seen at once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI, { type APIError } from "openai";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let base: string;

async function sdkFor(client: TestClient) {
  const { createAccessToken } = await client.data(`mutation { createAccessToken(input: { name: "sdk", scopes: [OPENAI] }) { secret } }`);
  return new OpenAI({ apiKey: createAccessToken.secret, baseURL: `${base}/v1`, maxRetries: 0 });
}
async function ask(sdk: OpenAI, model: string): Promise<string | number> {
  fake.scriptNext({ text: "Fine." });
  try {
    const answer = await sdk.chat.completions.create({ model, messages: [{ role: "user", content: "Hello" }] });
    return answer.choices[0]!.message.content!;
  } catch (error) {
    return (error as APIError).status!;
  }
}

beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  base = await app.listen();
  ada = await app.signedUp("ada@example.com");
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

test("an own model used before: switched off, renamed or deleted, the next request sees it", async () => {
  const sdk = await sdkFor(ada);
  const { createModel } = await ada.data(`mutation($u: String!) { createModel(input: { name: "Mine", providerModelId: "echo", baseUrl: $u }) { id } }`, { u: fake.url });
  const update = (input: Record<string, unknown>) => ada.data(`mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { id } }`, { id: createModel.id, input });
  expect(await ask(sdk, "Mine")).toBe("Fine.");
  expect(await ask(sdk, "Mine")).toBe("Fine.");

  await update({ active: false });
  expect(await ask(sdk, "Mine")).toBe(404);
  await update({ active: true });
  expect(await ask(sdk, "Mine")).toBe("Fine.");

  await update({ providerModelId: "echo-2" });
  expect(await ask(sdk, "Mine")).toBe("Fine.");
  expect(fake.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.model).toBe("echo-2");

  await update({ name: "Renamed" });
  expect(await ask(sdk, "Mine")).toBe(404);
  expect(await ask(sdk, "Renamed")).toBe("Fine.");

  await ada.data(`mutation($id: ID!) { deleteModel(id: $id) }`, { id: createModel.id });
  expect(await ask(sdk, "Renamed")).toBe(404);
});

test("a shared model used before and then withdrawn by the administrator is refused at once", async () => {
  // ada signed up first: she is the administrator.
  const { createSharedModel } = await ada.data(`mutation($u: String!) { createSharedModel(input: { name: "Team", providerModelId: "echo", baseUrl: $u, sharedWithAll: true }) { id } }`, {
    u: fake.url,
  });
  const cy = await app.signedUp("cy@example.com");
  const sdk = await sdkFor(cy);
  expect(await ask(sdk, "Team")).toBe("Fine.");
  expect(await ask(sdk, "Team")).toBe("Fine.");
  await ada.data(`mutation($id: ID!) { deleteSharedModel(id: $id) }`, { id: createSharedModel.id });
  expect(await ask(sdk, "Team")).toBe(404);
});
