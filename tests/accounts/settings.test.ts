/**
 * A user's settings (display name, default model for new chats, theme) and what a visitor
 * learns about a server before signing in (whether it still needs its first account).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { createChat, createModel } from "../support/replies.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const SERVER_INFO = `{ serverInfo { needsFirstAccount signupOpen } }`;
const VIEWER = `{ viewer { displayName theme preferredModel { id } defaultModel { id } } }`;
const UPDATE = `mutation($input: SettingsInput!) { updateSettings(input: $input) { displayName theme preferredModel { id } defaultModel { id } } }`;

describe("before the first account", () => {
  test("a new server says it needs its first account; after the first sign-up it does not", async () => {
    const visitor = app.client();
    expect((await visitor.data(SERVER_INFO)).serverInfo).toEqual({ needsFirstAccount: true, signupOpen: true });
    await app.signedUp("admin@example.com");
    expect((await visitor.data(SERVER_INFO)).serverInfo).toEqual({ needsFirstAccount: false, signupOpen: true });
  });

  test("a server with sign-up closed says so", async () => {
    const closed = await startTestApp({ SIGNUP_OPEN: "false" });
    try {
      expect((await closed.client().data(SERVER_INFO)).serverInfo).toEqual({ needsFirstAccount: true, signupOpen: false });
    } finally {
      await closed.close();
    }
  });
});

describe("settings", () => {
  let ada: TestClient;
  beforeAll(async () => {
    ada = await app.signedUp("ada@example.com");
  });

  test("display name and theme change and stay; fields left out are kept", async () => {
    expect((await ada.data(VIEWER)).viewer).toMatchObject({ displayName: "ada", theme: "SYSTEM" });
    await ada.data(UPDATE, { input: { displayName: "  Ada   Lovelace ", theme: "DARK" } });
    await ada.data(UPDATE, { input: {} });
    expect((await ada.data(VIEWER)).viewer).toMatchObject({ displayName: "Ada Lovelace", theme: "DARK" });
  });

  test("an empty display name or another user's model is refused, all at once, and nothing changes", async () => {
    const bob = await app.signedUp("bob@example.com");
    const bobsModel = await createModel(bob, "http://127.0.0.1:9/v1");
    const result = await ada.request(UPDATE, { input: { displayName: "  ", defaultModelId: bobsModel, theme: "LIGHT" } });
    expect(result.errors?.[0]?.extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "displayName",
      fields: { displayName: "Display name must not be empty.", defaultModelId: "Default model must be one of your models." },
    });
    expect((await ada.data(VIEWER)).viewer).toMatchObject({ displayName: "Ada Lovelace", theme: "DARK" });
  });

  test("new chats start with the model chosen, else the last one used, else the first switched-on one", async () => {
    const carol = await app.signedUp("carol@example.com");
    expect((await carol.data(VIEWER)).viewer.defaultModel).toBeNull();
    const first = await createModel(carol, "http://127.0.0.1:9/v1", { name: "First" });
    const second = await createModel(carol, "http://127.0.0.1:9/v1", { name: "Second" });
    expect((await carol.data(VIEWER)).viewer.defaultModel).toEqual({ id: first });
    await createChat(carol, second);
    expect((await carol.data(VIEWER)).viewer.defaultModel).toEqual({ id: second });
    const chosen = await carol.data(UPDATE, { input: { defaultModelId: first } });
    expect(chosen.updateSettings).toMatchObject({ preferredModel: { id: first }, defaultModel: { id: first } });
    // A chosen model that is switched off gives way to the last one used.
    await carol.data(`mutation($id: ID!) { updateModel(id: $id, input: { active: false }) { id } }`, { id: first });
    expect((await carol.data(VIEWER)).viewer).toMatchObject({ preferredModel: { id: first }, defaultModel: { id: second } });
    // null clears the choice; a deleted model is no choice either.
    expect((await carol.data(UPDATE, { input: { defaultModelId: null } })).updateSettings.preferredModel).toBeNull();
    await carol.data(UPDATE, { input: { defaultModelId: second } });
    await carol.data(`mutation($id: ID!) { deleteModel(id: $id) }`, { id: second });
    expect((await carol.data(VIEWER)).viewer).toMatchObject({ preferredModel: null, defaultModel: null });
  });
});
