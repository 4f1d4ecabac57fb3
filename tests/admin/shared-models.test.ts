/**
 * Shared models, on every database: an administrator's model, with the administrator's key,
 * offered to everyone or to chosen users. Users see and use it beside their own models, never
 * any of its key, and cannot change it; withdrawing, switching off or deleting it behaves like
 * a personal model for the chats that used it. Model names are unique per owner and among
 * shared models, ignoring case.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { until } from "../support/chat-page.ts";
import { createChat, send, settled } from "../support/replies.ts";

const KEY = "sk-admin-SECRET-KEY-WXYZ";
let app: TestApp;
let fake: FakeProvider;
let admin: TestClient;
let ada: TestClient;
let bob: TestClient;
let adaId: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  admin = await app.signedUp("root@example.com");
  ada = await app.signedUp("ada@example.com");
  bob = await app.signedUp("bob@example.com");
  adaId = (await ada.data(`{ viewer { id } }`)).viewer.id;
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

const CREATE = `mutation($input: CreateSharedModelInput!) { createSharedModel(input: $input) { id name apiKeyLast4 sharedWithAll grantedTo { email } } }`;
const share = async (input: Record<string, unknown>) =>
  (await admin.data(CREATE, { input: { providerModelId: "echo", baseUrl: fake.url, apiKey: KEY, inputCostPerMTok: 1, outputCostPerMTok: 1, ...input } })).createSharedModel;
const modelsOf = async (client: TestClient) => (await client.data(`{ models { id name shared hasApiKey apiKeyLast4 } }`)).models as any[];

describe("a model shared with everyone", () => {
  let sharedId: string;
  beforeAll(async () => {
    const created = await share({ name: "Team GPT", sharedWithAll: true });
    sharedId = created.id;
    expect(created.apiKeyLast4).toBe("WXYZ");
  });

  test("sits beside the user's own models, with none of its key", async () => {
    await ada.data(`mutation($u: String!) { createModel(input: { name: "Mine", providerModelId: "echo", baseUrl: $u }) { id } }`, { u: fake.url });
    const models = await modelsOf(ada);
    expect(models.map((m) => [m.name, m.shared])).toEqual([
      ["Mine", false],
      ["Team GPT", true],
    ]);
    expect(models[1]).toMatchObject({ hasApiKey: true, apiKeyLast4: null });
    const raw = JSON.stringify(await ada.request(`{ models { id name shared hasApiKey apiKeyLast4 baseUrl systemPrompt } model(id: "${sharedId}") { apiKeyLast4 } }`));
    expect(raw).not.toContain("WXYZ");
    expect(raw).not.toContain("SECRET");
  });

  test("cannot be changed, deleted or tested with its key by a user", async () => {
    const update = await ada.request(`mutation($id: ID!) { updateModel(id: $id, input: { name: "Hijacked", baseUrl: "https://evil.example/v1" }) { id } }`, { id: sharedId });
    expect(update.errors?.[0]).toMatchObject({ message: expect.stringContaining("shared model"), extensions: { code: "FORBIDDEN" } });
    const remove = await ada.request(`mutation($id: ID!) { deleteModel(id: $id) }`, { id: sharedId });
    expect(remove.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    // Testing the saved model against an address the user chooses would send the administrator's key there.
    const probe = await ada.request(`mutation($id: ID) { testModelConnection(input: { modelId: $id, baseUrl: "https://evil.example/v1" }) { ok } }`, { id: sharedId });
    expect(probe.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const model = await app.db.aiModel.findUniqueOrThrow({ where: { id: sharedId } });
    expect(model.name).toBe("Team GPT");
    expect(model.baseUrl).toBe(fake.url);
  });

  test("answers a user's chat with the administrator's key, and counts as the user's usage", async () => {
    const chatId = await createChat(ada, sharedId);
    const reply = await settled(app, (await send(ada, chatId, "hello shared")).reply.id);
    expect([reply.status, reply.error]).toEqual(["COMPLETE", null]);
    const request = fake.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    // Usage is counted just after the reply is stored.
    const usage = await until(async () => (await ada.data(`{ myUsage { byModel { modelId modelName requests } } }`)).myUsage.byModel, (rows) => rows.length > 0);
    expect(usage).toEqual([{ modelId: sharedId, modelName: "Team GPT", requests: 1 }]);
    // And for the glasses.
    const settings = await ada.data(`mutation($m: ID) { updateGlassesSettings(input: { modelId: $m }) { model { id shared } } }`, { m: sharedId });
    expect(settings.updateGlassesSettings.model).toEqual({ id: sharedId, shared: true });
  });

  test("switched off, it refuses like a personal model; deleted, chats stay without a model", async () => {
    const chatId = await createChat(bob, sharedId);
    await admin.data(`mutation($id: ID!) { updateSharedModel(id: $id, input: { active: false }) { id } }`, { id: sharedId });
    const off = await bob.request(`mutation($c: ID!) { sendMessage(chatId: $c, content: "hi") { reply { id } } }`, { c: chatId });
    expect(off.errors?.[0]).toMatchObject({ message: expect.stringContaining("switched off"), extensions: { code: "BAD_USER_INPUT" } });
    await admin.data(`mutation($id: ID!) { deleteSharedModel(id: $id) }`, { id: sharedId });
    const chat = await bob.data(`query($id: ID!) { chat(id: $id) { id model { id } } }`, { id: chatId });
    expect(chat.chat).toEqual({ id: chatId, model: null });
    expect((await modelsOf(bob)).map((m) => m.id)).not.toContain(sharedId);
  });
});

describe("a model shared with chosen users", () => {
  test("only they see and use it; withdrawn, their chats can no longer use it", async () => {
    const created = await share({ name: "For Ada", userIds: [adaId] });
    expect(created.grantedTo).toEqual([{ email: "ada@example.com" }]);
    expect((await modelsOf(bob)).map((m) => m.id)).not.toContain(created.id);
    const refused = await bob.request(`mutation($m: ID) { createChat(input: { modelId: $m }) { id } }`, { m: created.id });
    expect(refused.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    const chatId = await createChat(ada, created.id);
    await admin.data(`mutation($id: ID!) { updateSharedModel(id: $id, input: { userIds: [] }) { grantedTo { email } } }`, { id: created.id });
    expect((await modelsOf(ada)).map((m) => m.id)).not.toContain(created.id);
    const before = fake.requests.length;
    const withdrawn = await ada.request(`mutation($c: ID!) { sendMessage(chatId: $c, content: "still there?") { reply { id } } }`, { c: chatId });
    expect(withdrawn.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(fake.requests.length).toBe(before);
  });

  test("a shared model's monthly budget stops everyone once spent", async () => {
    const created = await share({ name: "Budgeted", sharedWithAll: true, inputCostPerMTok: 1_000_000, outputCostPerMTok: 1_000_000, monthlyBudget: 1 });
    const chatId = await createChat(bob, created.id);
    await settled(app, (await send(bob, chatId, "spend")).reply.id);
    await until(() => app.db.usageDaily.count({ where: { modelId: created.id } }), (rows) => rows > 0);
    const adaChat = await createChat(ada, created.id);
    const refused = await ada.request(`mutation($c: ID!) { sendMessage(chatId: $c, content: "mine too") { reply { id } } }`, { c: adaChat });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "BUDGET_EXCEEDED", budget: { scope: "MODEL", limit: 1, modelName: "Budgeted" } });
  });
});

describe("model names", () => {
  test("are unique per owner ignoring case and spacing, with a clear error; shared names are their own namespace", async () => {
    const create = (client: TestClient, name: string) =>
      client.request(`mutation($n: String!, $u: String!) { createModel(input: { name: $n, providerModelId: "echo", baseUrl: $u }) { id } }`, { n: name, u: fake.url });
    expect((await create(bob, "Claude Team")).errors).toBeUndefined();
    const twin = await create(bob, "claude  TEAM");
    expect(twin.errors?.[0]).toMatchObject({ message: expect.stringContaining("already have a model named"), extensions: { code: "BAD_USER_INPUT", field: "name" } });
    // Another user may use the name, and so may a shared model.
    expect((await create(ada, "Claude Team")).errors).toBeUndefined();
    await share({ name: "Claude Team", sharedWithAll: true });
    const sharedTwin = await admin.request(CREATE, { input: { name: "CLAUDE team", providerModelId: "echo", baseUrl: fake.url } });
    expect(sharedTwin.errors?.[0]).toMatchObject({ message: expect.stringContaining("shared model is already named"), extensions: { field: "name" } });
    // Renaming into a taken name is refused too.
    const other = (await create(bob, "Other")).data!.createModel.id;
    const rename = await bob.request(`mutation($id: ID!) { updateModel(id: $id, input: { name: "CLAUDE TEAM" }) { id } }`, { id: other });
    expect(rename.errors?.[0]?.extensions?.field).toBe("name");
    expect(await app.db.aiModel.count({ where: { userId: (await bob.data(`{ viewer { id } }`)).viewer.id } })).toBe(2);
  });
});

describe("on the OpenAI-compatible API (/v1)", () => {
  test("shared models are listed and answer; a spent budget is a 402 with the figures' sentence", async () => {
    const created = await share({ name: "API shared", sharedWithAll: true, inputCostPerMTok: 1_000_000, outputCostPerMTok: 1_000_000 });
    const token = (await bob.data(`mutation { createAccessToken(input: { name: "cli", scopes: [OPENAI] }) { secret } }`)).createAccessToken.secret;
    const v1 = (path: string, body?: unknown) =>
      app.handle(
        new Request(`http://aiui.test/v1${path}`, {
          method: body ? "POST" : "GET",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: body ? JSON.stringify(body) : undefined,
        }),
      );
    const listed = (await (await v1("/models")).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toContain("API shared");
    const ask = () => v1("/chat/completions", { model: "API shared", messages: [{ role: "user", content: "hello api" }] });
    const answered = await ask();
    expect(answered.status).toBe(200);
    await answered.text();
    const bobId = (await bob.data(`{ viewer { id } }`)).viewer.id;
    await until(() => app.db.usageDaily.count({ where: { modelId: created.id, source: "API" } }), (rows) => rows > 0);
    await admin.data(`mutation($id: ID!) { setUserBudget(id: $id, monthlyBudget: 1) { id } }`, { id: bobId });
    const refused = await ask();
    expect(refused.status).toBe(402);
    const error = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect(error).toMatchObject({ code: "budget_exceeded", message: expect.stringContaining("monthly budget") });
    await admin.data(`mutation($id: ID!) { setUserBudget(id: $id, monthlyBudget: null) { id } }`, { id: bobId });
  });
});
