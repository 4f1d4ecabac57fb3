/**
 * The provider URL policy (server/src/egress/, docs/decisions/0009-provider-url-policy.md):
 * without PROVIDER_ALLOW_PRIVATE_NETWORKS a model cannot point at loopback, private,
 * link-local, metadata, multicast or unspecified addresses, in any spelling — refused when
 * saved, with a field error — and a host that resolves to such an address when the request
 * is made is refused then, before anything is sent. PROVIDER_ALLOWED_HOSTS opens single
 * hosts, and the connection goes to the address that was checked.
 *
 * These apps run without the test default PROVIDER_ALLOW_PRIVATE_NETWORKS=true (the fake
 * provider listens on 127.0.0.1, which is exactly what the policy refuses).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { createChat, send, settled } from "../support/replies.ts";

const POLICY_SENTENCE = /is not a public address .* models may only reach public addresses\. An administrator can allow it with PROVIDER_ALLOWED_HOSTS or PROVIDER_ALLOW_PRIVATE_NETWORKS\./;

let fake: FakeProvider;
let port: number;
beforeAll(async () => {
  fake = await startFakeProvider();
  port = Number(new URL(fake.url).port);
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const CREATE = `mutation($input: CreateModelInput!) { createModel(input: $input) { id baseUrl } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { id baseUrl } }`;

describe("by default", () => {
  let app: TestApp;
  let ada: TestClient;
  let publicModel: string;

  beforeAll(async () => {
    app = await startTestApp({ PROVIDER_ALLOW_PRIVATE_NETWORKS: "false" });
    ada = await app.signedUp("ada@example.com");
    // A public address literal needs no DNS and is never contacted here.
    publicModel = (await ada.data(CREATE, { input: { name: "Public", providerModelId: "m", baseUrl: "https://8.8.8.8/v1" } })).createModel.id;
  });
  afterAll(() => app.close());

  const refused = [
    "http://127.0.0.1:5432/v1",
    "http://localhost:11434/v1",
    "http://LOCALHOST./v1",
    "http://api.localhost/v1",
    "http://[::1]:8080/v1",
    "http://10.0.0.1/v1",
    "http://172.16.5.4/v1",
    "http://192.168.1.20:11434/v1",
    "http://2130706433/",
    "http://0x7f.1/v1",
    "http://017700000001/v1",
    "http://127.1/v1",
    "http://[::ffff:127.0.0.1]/v1",
    "http://[::ffff:7f00:1]/v1",
    "http://[::ffff:a9fe:a9fe]/latest",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest",
    "http://100.100.100.200/latest",
    "http://[fe80::1]/v1",
    "http://[fc00::5]/v1",
    "http://0.0.0.0:3000/v1",
    "http://[::]/v1",
    "http://224.0.0.1/v1",
    "http://255.255.255.255/v1",
  ];

  for (const baseUrl of refused) {
    test(`${baseUrl} is refused at createModel and updateModel, naming baseUrl; nothing is stored`, async () => {
      const before = await app.db.aiModel.count();
      const created = await ada.request(CREATE, { input: { name: "Inside", providerModelId: "m", baseUrl } });
      expect(created.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "baseUrl" });
      expect(created.errors?.[0]?.message).toMatch(POLICY_SENTENCE);
      expect(await app.db.aiModel.count()).toBe(before);
      const updated = await ada.request(UPDATE, { id: publicModel, input: { baseUrl } });
      expect(updated.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "baseUrl" });
      expect((await app.db.aiModel.findUniqueOrThrow({ where: { id: publicModel } })).baseUrl).toBe("https://8.8.8.8/v1");
    });
  }

  test("a URL with a user name or password is refused, whatever the policy", async () => {
    for (const baseUrl of ["https://user:secret@api.example.com/v1", "https://key@api.example.com/v1"]) {
      const result = await ada.request(CREATE, { input: { name: "Creds", providerModelId: "m", baseUrl } });
      expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", field: "baseUrl" });
      expect(result.errors?.[0]?.message).toBe("Base URL must not contain a user name or password: put the provider's key in API key.");
    }
  });

  test("a refused address is reported with the form's other wrong fields, all at once", async () => {
    const result = await ada.request(CREATE, { input: { name: "", providerModelId: "m", baseUrl: "http://10.0.0.1/v1", temperature: 9 } });
    const fields = result.errors?.[0]?.extensions?.fields as Record<string, string>;
    expect(Object.keys(fields).sort()).toEqual(["baseUrl", "name", "temperature"]);
    expect(fields.baseUrl).toMatch(/^Base URL: 10\.0\.0\.1 is not a public address/);
    expect(fields.name).toBe("Name is required.");
  });

  test("Test connection and Fetch models are held to the policy: a private address is never contacted", async () => {
    const CHECK = `{ ok message modelIds }`;
    const input = { baseUrl: fake.url, providerModelId: "echo" };
    const tested = (await ada.data(`mutation($input: ModelConnectionInput!) { testModelConnection(input: $input) ${CHECK} }`, { input })).testModelConnection;
    expect(tested).toMatchObject({ ok: false, modelIds: [] });
    expect(tested.message).toMatch(POLICY_SENTENCE);
    const fetched = (await ada.data(`mutation($input: ModelConnectionInput!) { fetchProviderModels(input: $input) ${CHECK} }`, { input: { baseUrl: fake.url } }))
      .fetchProviderModels;
    expect(fetched).toMatchObject({ ok: false, modelIds: [] });
    expect(fetched.message).toMatch(POLICY_SENTENCE);
    // A saved model whose address became private (saved before, or DNS changed) too.
    const userId = (await app.db.user.findFirstOrThrow()).id;
    const saved = await app.db.aiModel.create({ data: { userId, name: "Saved", providerModelId: "echo", baseUrl: `http://localhost:${port}/v1` } });
    const again = (await ada.data(`mutation($input: ModelConnectionInput!) { testModelConnection(input: $input) ${CHECK} }`, { input: { modelId: saved.id } }))
      .testModelConnection;
    expect(again.ok).toBe(false);
    expect(again.message).toMatch(POLICY_SENTENCE);
    expect(fake.requests).toEqual([]);
  });

  test("public addresses are accepted; a name that does not resolve now is left to the request-time check", async () => {
    for (const baseUrl of ["https://1.1.1.1/v1", "https://[2606:4700:4700::1111]/v1", "https://no-such-host.invalid/v1"]) {
      // A name per address: model names are unique per user.
      expect((await ada.request(CREATE, { input: { name: `Out ${baseUrl}`, providerModelId: "m", baseUrl } })).errors).toBeUndefined();
    }
  });

  test("a host that resolves to a loopback address when the request is made is refused then: nothing reaches it", async () => {
    // As if the model had been saved while its name pointed elsewhere (or before this policy existed).
    for (const baseUrl of [`http://localhost:${port}/v1`, `http://[::ffff:127.0.0.1]:${port}/v1`, `http://2130706433:${port}/v1`]) {
      const model = await app.db.aiModel.create({ data: { userId: (await app.db.user.findFirstOrThrow()).id, name: "Moved", providerModelId: "echo", baseUrl } });
      const chatId = await createChat(ada, model.id);
      const { reply } = await send(ada, chatId, "Hello?");
      const ended = await settled(app, reply.id);
      expect(ended.status).toBe("FAILED");
      expect(ended.error).toMatch(POLICY_SENTENCE);
      expect(fake.requests).toEqual([]);
    }
  });

  test("the glasses' one-shot answers are held to the same policy", async () => {
    const userId = (await app.db.user.findFirstOrThrow()).id;
    const model = await app.db.aiModel.create({ data: { userId, name: "Glasses", providerModelId: "echo", baseUrl: `http://localhost:${port}/v1` } });
    await ada.data(`mutation($m: ID) { updateGlassesSettings(input: { modelId: $m }) { persona } }`, { m: model.id });
    const token = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
    const body = new FormData();
    body.append("prompt", "Where am I?");
    const response = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${token}` }, body }));
    // A failure the wearer can act on: 200 with what failed in debug.error.
    expect(response.status).toBe(200);
    const error = ((await response.json()) as { debug: { error: { status: number; code: string; detail: string } } }).debug.error;
    expect(error).toMatchObject({ status: 502, code: "PROVIDER_FAILED" });
    expect(error.detail).toMatch(POLICY_SENTENCE);
    expect(fake.requests).toEqual([]);
  });
});

describe("PROVIDER_ALLOWED_HOSTS", () => {
  test("an allowed host:port may be used end to end; the same host on another port may not", async () => {
    const app = await startTestApp({ PROVIDER_ALLOW_PRIVATE_NETWORKS: "false", PROVIDER_ALLOWED_HOSTS: `ollama.example, localhost:${port}` });
    try {
      const ada = await app.signedUp("ada@example.com");
      const model = await ada.data(CREATE, { input: { name: "Local", providerModelId: "echo", baseUrl: `http://localhost:${port}/v1` } });
      const { reply } = await send(ada, await createChat(ada, model.createModel.id), "Hello");
      expect((await settled(app, reply.id)).status).toBe("COMPLETE");
      const other = await ada.request(CREATE, { input: { name: "Other port", providerModelId: "echo", baseUrl: `http://localhost:${port + 1}/v1` } });
      expect(other.errors?.[0]?.extensions?.field).toBe("baseUrl");
    } finally {
      await app.close();
    }
  });

  test("an allowed address: a name resolving to it is allowed, and the request goes to the checked address with the original Host", async () => {
    const app = await startTestApp({ PROVIDER_ALLOW_PRIVATE_NETWORKS: "false", PROVIDER_ALLOWED_HOSTS: "127.0.0.1" });
    try {
      const ada = await app.signedUp("ada@example.com");
      const model = await ada.data(CREATE, { input: { name: "Pinned", providerModelId: "echo", baseUrl: `http://localhost:${port}/v1` } });
      const { reply } = await send(ada, await createChat(ada, model.createModel.id), "Hello");
      expect((await settled(app, reply.id)).status).toBe("COMPLETE");
      expect(fake.requests.map((r) => r.headers.host)).toEqual([`localhost:${port}`]);
      // 10.0.0.1 is not on the list.
      expect((await ada.request(CREATE, { input: { name: "No", providerModelId: "m", baseUrl: "http://10.0.0.1/v1" } })).errors?.[0]?.extensions?.field).toBe("baseUrl");
    } finally {
      await app.close();
    }
  });

  test("PROVIDER_ALLOW_PRIVATE_NETWORKS=true opens every address (Ollama beside AIUI)", async () => {
    const app = await startTestApp({ PROVIDER_ALLOW_PRIVATE_NETWORKS: "true" });
    try {
      const ada = await app.signedUp("ada@example.com");
      for (const baseUrl of ["http://127.0.0.1:11434/v1", "http://10.0.0.1/v1", "http://[::1]/v1"]) {
        expect((await ada.request(CREATE, { input: { name: `Local ${baseUrl}`, providerModelId: "m", baseUrl } })).errors).toBeUndefined();
      }
    } finally {
      await app.close();
    }
  });
});
