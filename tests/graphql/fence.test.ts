/**
 * The per-user fence as a matrix: every query and mutation, run as the owner of the
 * data, as another signed-in user, and anonymously. Another user's ids answer
 * NOT_FOUND exactly like ids that do not exist; lists never show others' rows.
 * The owner signed up first, so is the server's ADMIN: administration rows expect "ok" for
 * them, FORBIDDEN for the other user and UNAUTHENTICATED anonymously.
 * A new root field without a row here fails the coverage test at the bottom.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { schema } from "../../server/src/graphql/schema.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

let app: TestApp;
let owner: TestClient;
let other: TestClient;
let modelId: string;
let chatId: string;
let tokenId: string;
let accessTokenId: string;
let messageId: string;
let memoryId: string;
let ownerId: string;
let sessionId: string;
let inviteId: string;
let otherId: string;
let victimId: string;
let sharedFixtureId: string;

type Who = "owner" | "other" | "anonymous";
type Outcome = "ok" | "NOT_FOUND" | "UNAUTHENTICATED" | "EMPTY" | "BAD_USER_INPUT" | "CONFLICT" | "FORBIDDEN";

interface Row {
  field: string;
  /** Builds the operation; run after the fixtures exist, so ids are known. */
  operation: () => { query: string; variables?: Record<string, unknown> };
  expect: Record<Who, Outcome>;
  /** For "ok": what the owner must see. For "EMPTY": the list that must be empty. */
  check?: (data: any) => void | Promise<void>;
  empty?: (data: any) => unknown[];
  /** A subscription: run over SSE, judged by its first event. */
  subscription?: true;
}

beforeAll(async () => {
  app = await startTestApp();
  owner = await app.signedUp("owner@example.com");
  other = await app.signedUp("other@example.com");
  ownerId = (await owner.data(`{ viewer { id } }`)).viewer.id;
  otherId = (await other.data(`{ viewer { id } }`)).viewer.id;
});
afterAll(() => app.close());

/** Fresh data per row: destructive rows (delete) must not affect the next one. */
async function ownerFixtures() {
  // Model names are unique per user: the previous row's "Mine" goes first.
  await app.db.aiModel.deleteMany({ where: { shared: false, name: { in: ["Mine", "Renamed", "N"] } } });
  const model = await owner.data(
    `mutation { createModel(input: { name: "Mine", providerModelId: "m", baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-owner-secret" }) { id } }`,
  );
  modelId = model.createModel.id;
  const chat = await owner.data(`mutation($m: ID) { createChat(input: { title: "Private plans", modelId: $m }) { id } }`, { m: modelId });
  chatId = chat.createChat.id;
  messageId = (await app.db.message.create({ data: { chatId, role: "USER", content: "my secret question" } })).id;
  tokenId = (await owner.data(`mutation { createGlassesToken(name: "Frame") { token { id } } }`)).createGlassesToken.token.id;
  accessTokenId = (await owner.data(`mutation { createAccessToken(input: { name: "Script", scopes: [GRAPHQL] }) { token { id } } }`)).createAccessToken.token.id;
  await owner.data(`mutation($m: ID) { updateGlassesSettings(input: { modelId: $m, persona: "Owner persona" }) { persona } }`, { m: modelId });
  memoryId = (await owner.data(`mutation { createMemory(text: "The owner's secret plan.") { id } }`)).createMemory.id;
  await owner.data(`mutation { updateMemorySettings(input: { enabled: true }) { enabled } }`);
  // Another browser of the owner's.
  const expiresAt = new Date(Date.now() + 86_400_000);
  sessionId = (await app.db.session.create({ data: { tokenHash: crypto.randomUUID(), userId: ownerId, expiresAt, userAgent: "Owner's phone" } })).id;
  // Directly: the signUp row leaves the owner's client signed in as the new (non-admin) account.
  victimId = (await app.db.user.upsert({ where: { email: "victim@example.com" }, create: { email: "victim@example.com", passwordHash: "x", displayName: "Victim" }, update: {} })).id;
  // Shared with nobody yet: it shows in nobody's lists.
  sharedFixtureId = (
    await app.db.aiModel.create({
      data: { userId: ownerId, shared: true, name: `Shared ${crypto.randomUUID()}`, providerModelId: "m", baseUrl: "http://127.0.0.1:9/v1", apiKeyLast4: "LAST" },
    })
  ).id;
  inviteId = (await app.db.invite.create({ data: { tokenHash: crypto.randomUUID(), note: "fixture", expiresAt: new Date(Date.now() + 3_600_000) } })).id;
}

const rows: Row[] = [
  {
    field: "mySessions",
    // Everyone sees only their own sessions; the owner's other browser is in the owner's list alone.
    operation: () => ({ query: `{ mySessions { id current } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.mySessions.map((s: { id: string }) => s.id)).toContain(sessionId),
    empty: (d) => d.mySessions.filter((s: { id: string }) => s.id === sessionId),
  },
  {
    field: "signOutSession",
    operation: () => ({ query: `mutation($id: ID!) { signOutSession(id: $id) }`, variables: { id: sessionId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "signOutOtherSessions",
    // Another user ends only their own other sessions (the owner's phone stays: checked below).
    operation: () => ({ query: `mutation { signOutOtherSessions }` }),
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.signOutOtherSessions).toBeGreaterThanOrEqual(0),
  },
  {
    field: "changeEmail",
    // Taking the owner's address is refused; the owner "changing" to their own is a no-op.
    operation: () => ({ query: `mutation { changeEmail(input: { newEmail: "owner@example.com", password: "correct horse battery" }) { email } }` }),
    expect: { owner: "ok", other: "CONFLICT", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.changeEmail.email).toBe("owner@example.com"),
  },
  {
    field: "requestPasswordReset",
    // This matrix's server has no SMTP: everyone hears resets go through the administrator (tests/accounts/password-reset.test.ts covers e-mail).
    operation: () => ({ query: `mutation { requestPasswordReset(email: "owner@example.com") }` }),
    expect: { owner: "FORBIDDEN", other: "FORBIDDEN", anonymous: "FORBIDDEN" },
  },
  {
    field: "resetPassword",
    // Only a link's secret opens an account; without one, nobody changes anything.
    operation: () => ({ query: `mutation { resetPassword(input: { token: "not-a-real-link-secret", newPassword: "an attacker's choice" }) }` }),
    expect: { owner: "BAD_USER_INPUT", other: "BAD_USER_INPUT", anonymous: "BAD_USER_INPUT" },
  },
  {
    field: "createPasswordResetLink",
    // The owner signed up first, so is the administrator; anyone else is refused.
    operation: () => ({ query: `mutation($id: ID!) { createPasswordResetLink(userId: $id) { url } }`, variables: { id: ownerId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.createPasswordResetLink.url).toContain("/reset-password#token="),
  },
  {
    field: "changePassword",
    // Acts on the caller's own account only; the same password again is refused (which keeps the matrix's password).
    operation: () => ({ query: `mutation { changePassword(input: { currentPassword: "correct horse battery", newPassword: "correct horse battery" }) { id } }` }),
    expect: { owner: "BAD_USER_INPUT", other: "BAD_USER_INPUT", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "viewer",
    operation: () => ({ query: `{ viewer { email } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "ok" },
  },
  {
    field: "models",
    operation: () => ({ query: `{ models { id name } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.models.map((m: { id: string }) => m.id)).toContain(modelId),
    empty: (d) => d.models,
  },
  {
    field: "model",
    operation: () => ({ query: `query($id: ID!) { model(id: $id) { id name } }`, variables: { id: modelId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.model.name).toBe("Mine"),
  },
  {
    field: "chats",
    operation: () => ({ query: `{ chats(first: 50) { edges { node { id title } } } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.chats.edges.map((e: any) => e.node.id)).toContain(chatId),
    empty: (d) => d.chats.edges,
  },
  {
    field: "chat",
    operation: () => ({
      query: `query($id: ID!) { chat(id: $id) { title model { name } messages(last: 5) { edges { node { content } } } } }`,
      variables: { id: chatId },
    }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => {
      expect(d.chat.model.name).toBe("Mine");
      expect(d.chat.messages.edges[0].node.content).toBe("my secret question");
    },
  },
  {
    field: "search",
    // The fixtures' title and message both hold a word only the owner's data has.
    operation: () => ({ query: `{ search(query: "plans") { chat { title } } texts: search(query: "secret") { message { content } } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => {
      expect(d.search.map((h: any) => h.chat.title)).toContain("Private plans");
      expect(d.texts.map((h: any) => h.message?.content)).toContain("my secret question");
    },
    empty: (d) => [...d.search, ...d.texts],
  },
  {
    field: "serverInfo",
    // Public: tells a visitor whether the server still needs its first account, nothing about anyone.
    operation: () => ({ query: `{ serverInfo { needsFirstAccount signupOpen signupMode } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "ok" },
    check: (d) => expect(d.serverInfo).toEqual({ needsFirstAccount: false, signupOpen: true, signupMode: "OPEN" }),
  },
  {
    field: "adminUsers",
    operation: () => ({ query: `{ adminUsers(first: 50) { edges { node { id email monthUsage { cost } } } } }` }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.adminUsers.edges.map((e: any) => e.node.id)).toContain(ownerId),
  },
  {
    field: "adminUserCount",
    operation: () => ({ query: `{ adminUserCount }` }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.adminUserCount).toBeGreaterThanOrEqual(2),
  },
  {
    field: "usageReport",
    operation: () => ({ query: `{ usageReport { totals { requests } byUser { userId } } }` }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "myUsage",
    // Everyone has their own; the fixtures store no usage, so nobody's shows any.
    operation: () => ({ query: `{ myUsage { totals { requests } byUser { userId } } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    empty: (d) => d.myUsage.byUser,
  },
  {
    field: "deactivateUser",
    // The target is the other user: only an administrator may; the owner then reactivates them.
    operation: () => ({ query: `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, variables: { id: otherId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: async (d) => {
      expect(d.deactivateUser.active).toBe(false);
      await app.db.user.update({ where: { id: otherId }, data: { deactivatedAt: null } });
      other.cookie = null;
    },
  },
  {
    field: "reactivateUser",
    operation: () => ({ query: `mutation($id: ID!) { reactivateUser(id: $id) { active } }`, variables: { id: otherId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.reactivateUser.active).toBe(true),
  },
  {
    field: "setUserRole",
    operation: () => ({ query: `mutation($id: ID!) { setUserRole(id: $id, role: MEMBER) { role } }`, variables: { id: otherId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.setUserRole.role).toBe("MEMBER"),
  },
  {
    field: "setUserBudget",
    operation: () => ({ query: `mutation($id: ID!) { setUserBudget(id: $id, monthlyBudget: 10) { monthlyBudget } }`, variables: { id: ownerId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: async (d) => {
      expect(d.setUserBudget.monthlyBudget).toBe(10);
      await app.db.user.update({ where: { id: ownerId }, data: { monthlyBudget: null } });
    },
  },
  {
    field: "deleteUser",
    // A throwaway account: another user or nobody must not delete it (checked below), the admin may.
    operation: () => ({ query: `mutation($id: ID!) { deleteUser(id: $id, confirmEmail: "victim@example.com") { email } }`, variables: { id: victimId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.deleteUser.email).toBe("victim@example.com"),
  },
  {
    field: "sharedModels",
    operation: () => ({ query: `{ sharedModels { id apiKeyLast4 } }` }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.sharedModels.map((m: { id: string }) => m.id)).toContain(sharedFixtureId),
  },
  {
    field: "createSharedModel",
    operation: () => ({
      query: `mutation($n: String!) { createSharedModel(input: { name: $n, providerModelId: "m", baseUrl: "https://x.example/v1", apiKey: "sk-shared-1234" }) { apiKeyLast4 sharedWithAll } }`,
      variables: { n: `Team ${crypto.randomUUID()}` },
    }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.createSharedModel).toEqual({ apiKeyLast4: "1234", sharedWithAll: false }),
  },
  {
    field: "updateSharedModel",
    operation: () => ({ query: `mutation($id: ID!) { updateSharedModel(id: $id, input: { description: "Changed" }) { description } }`, variables: { id: sharedFixtureId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.updateSharedModel.description).toBe("Changed"),
  },
  {
    field: "deleteSharedModel",
    operation: () => ({ query: `mutation($id: ID!) { deleteSharedModel(id: $id) }`, variables: { id: sharedFixtureId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "invites",
    operation: () => ({ query: `{ invites { id note state } }` }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.invites.map((i: { id: string }) => i.id)).toContain(inviteId),
  },
  {
    field: "setSignupMode",
    operation: () => ({ query: `mutation { setSignupMode(mode: OPEN) }` }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.setSignupMode).toBe("OPEN"),
  },
  {
    field: "createInvite",
    operation: () => ({ query: `mutation { createInvite(input: { note: "for a friend" }) { token invite { note state } } }` }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.createInvite.invite).toEqual({ note: "for a friend", state: "ACTIVE" }),
  },
  {
    field: "revokeInvite",
    operation: () => ({ query: `mutation($id: ID!) { revokeInvite(id: $id) }`, variables: { id: inviteId } }),
    expect: { owner: "ok", other: "FORBIDDEN", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.revokeInvite).toBe(true),
  },
  {
    field: "updateSettings",
    // Choosing someone else's model as one's default is refused too.
    operation: () => ({
      query: `mutation($m: ID) { updateSettings(input: { defaultModelId: $m }) { preferredModel { id } } }`,
      variables: { m: modelId },
    }),
    expect: { owner: "ok", other: "BAD_USER_INPUT", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.updateSettings.preferredModel.id).toBe(modelId),
  },
  {
    field: "testModelConnection",
    // A saved model is tested with its stored key: only its owner may.
    operation: () => ({ query: `mutation($m: ID) { testModelConnection(input: { modelId: $m }) { ok message } }`, variables: { m: modelId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.testModelConnection.ok).toBe(false),
  },
  {
    field: "fetchProviderModels",
    operation: () => ({ query: `mutation($m: ID) { fetchProviderModels(input: { modelId: $m }) { ok modelIds } }`, variables: { m: modelId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.fetchProviderModels).toEqual({ ok: false, modelIds: [] }),
  },
  {
    field: "signUp",
    operation: () => ({
      query: `mutation($e: String!) { signUp(input: { email: $e, password: "long enough pw" }) { id } }`,
      variables: { e: `new-${crypto.randomUUID()}@example.com` },
    }),
    expect: { owner: "ok", other: "ok", anonymous: "ok" },
  },
  {
    field: "signIn",
    operation: () => ({ query: `mutation { signIn(input: { email: "owner@example.com", password: "correct horse battery" }) { id } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "ok" },
  },
  {
    field: "signOut",
    operation: () => ({ query: `mutation { signOut }` }),
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "createModel",
    operation: () => ({ query: `mutation { createModel(input: { name: "N", providerModelId: "m", baseUrl: "https://x.example/v1" }) { id } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "updateModel",
    operation: () => ({ query: `mutation($id: ID!) { updateModel(id: $id, input: { name: "Renamed" }) { name } }`, variables: { id: modelId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.updateModel.name).toBe("Renamed"),
  },
  {
    field: "deleteModel",
    operation: () => ({ query: `mutation($id: ID!) { deleteModel(id: $id) }`, variables: { id: modelId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "createChat",
    // Pointing a new chat at someone else's model is refused too.
    operation: () => ({ query: `mutation($m: ID) { createChat(input: { title: "T", modelId: $m }) { id } }`, variables: { m: modelId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "renameChat",
    operation: () => ({ query: `mutation($id: ID!) { renameChat(id: $id, title: "Hijacked") { title } }`, variables: { id: chatId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.renameChat.title).toBe("Hijacked"),
  },
  {
    field: "deleteChat",
    operation: () => ({ query: `mutation($id: ID!) { deleteChat(id: $id) }`, variables: { id: chatId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "glassesTokens",
    operation: () => ({ query: `{ glassesTokens { id name } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.glassesTokens.map((t: { id: string }) => t.id)).toContain(tokenId),
    empty: (d) => d.glassesTokens,
  },
  {
    field: "accessTokens",
    operation: () => ({ query: `{ accessTokens { id name scopes } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.accessTokens.map((t: { id: string }) => t.id)).toContain(accessTokenId),
    empty: (d) => d.accessTokens,
  },
  {
    field: "createAccessToken",
    operation: () => ({ query: `mutation { createAccessToken(input: { name: "Mine", scopes: [OPENAI] }) { secret token { prefix scopes } } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
    check: (d) => {
      expect(d.createAccessToken.secret).toStartWith(d.createAccessToken.token.prefix);
      expect(d.createAccessToken.token.scopes).toEqual(["OPENAI"]);
    },
  },
  {
    field: "revokeAccessToken",
    operation: () => ({ query: `mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, variables: { id: accessTokenId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.revokeAccessToken.id).toBe(accessTokenId),
  },
  {
    field: "glassesSettings",
    operation: () => ({ query: `{ glassesSettings { persona model { id } } }` }),
    // Everyone has settings of their own; another user's are never the owner's.
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.glassesSettings).toEqual({ persona: "Owner persona", model: { id: modelId } }),
    empty: (d) => (d.glassesSettings.persona === "" && d.glassesSettings.model === null ? [] : [d.glassesSettings]),
  },
  {
    field: "createGlassesToken",
    operation: () => ({ query: `mutation { createGlassesToken(name: "Mine too") { secret token { prefix } } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.createGlassesToken.secret).toStartWith(d.createGlassesToken.token.prefix),
  },
  {
    field: "revokeGlassesToken",
    operation: () => ({ query: `mutation($id: ID!) { revokeGlassesToken(id: $id) }`, variables: { id: tokenId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "updateGlassesSettings",
    // Choosing someone else's model for one's own glasses is refused too.
    operation: () => ({ query: `mutation($m: ID) { updateGlassesSettings(input: { imageModelId: $m }) { imageModel { id } } }`, variables: { m: modelId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.updateGlassesSettings.imageModel.id).toBe(modelId),
  },
  {
    field: "memories",
    // Through the full-text search too: it runs raw SQL outside the fence, naming the viewer.
    operation: () => ({ query: `{ memories(first: 50, search: "secret plan") { totalCount edges { node { id text } } } }` }),
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.memories.edges.map((e: any) => e.node.id)).toContain(memoryId),
    empty: (d) => d.memories.edges,
  },
  {
    field: "memorySettings",
    operation: () => ({ query: `{ memorySettings { enabled } }` }),
    // Everyone has a setting of their own; the owner turned theirs on, nobody else's is.
    expect: { owner: "ok", other: "EMPTY", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.memorySettings.enabled).toBe(true),
    empty: (d) => (d.memorySettings.enabled ? [d.memorySettings] : []),
  },
  {
    field: "updateMemorySettings",
    operation: () => ({ query: `mutation { updateMemorySettings(input: { enabled: false }) { enabled } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.updateMemorySettings.enabled).toBe(false),
  },
  {
    field: "createMemory",
    operation: () => ({ query: `mutation { createMemory(text: "Another plan.") { text } }` }),
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.createMemory.text).toBe("Another plan."),
  },
  {
    field: "updateMemory",
    operation: () => ({ query: `mutation($id: ID!) { updateMemory(id: $id, text: "Hijacked") { text } }`, variables: { id: memoryId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.updateMemory.text).toBe("Hijacked"),
  },
  {
    field: "deleteMemory",
    operation: () => ({ query: `mutation($id: ID!) { deleteMemory(id: $id) }`, variables: { id: memoryId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
  },
  {
    field: "forgetAllMemories",
    operation: () => ({ query: `mutation { forgetAllMemories }` }),
    // Another user forgets only their own: the owner's stay (checked after every row).
    expect: { owner: "ok", other: "ok", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.forgetAllMemories).toBeGreaterThanOrEqual(1),
  },
  {
    field: "sendMessage",
    // The reply fails in the background (nothing listens on the model's port); the send itself is fine.
    operation: () => ({
      query: `mutation($c: ID!) { sendMessage(chatId: $c, content: "hello") { chat { id } message { content } reply { status } } }`,
      variables: { c: chatId },
    }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.sendMessage).toEqual({ chat: { id: chatId }, message: { content: "hello" }, reply: { status: "STREAMING" } }),
  },
  {
    field: "regenerate",
    operation: () => ({ query: `mutation($c: ID!) { regenerate(chatId: $c) { status } }`, variables: { c: chatId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.regenerate.status).toBe("STREAMING"),
  },
  {
    field: "editMessage",
    // The new version's reply fails in the background (nothing listens on the model's port).
    operation: () => ({
      query: `mutation($id: ID!) { editMessage(messageId: $id, content: "edited") { message { content versionIds } reply { status } } }`,
      variables: { id: messageId },
    }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => {
      expect(d.editMessage.message.content).toBe("edited");
      expect(d.editMessage.message.versionIds).toHaveLength(2);
      expect(d.editMessage.reply.status).toBe("STREAMING");
    },
  },
  {
    field: "switchVersion",
    operation: () => ({ query: `mutation($id: ID!) { switchVersion(messageId: $id) { id } }`, variables: { id: messageId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.switchVersion.id).toBe(chatId),
  },
  {
    field: "cancelReply",
    // A message that is not streaming comes back unchanged.
    operation: () => ({ query: `mutation($id: ID!) { cancelReply(messageId: $id) { content status } }`, variables: { id: messageId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.cancelReply).toEqual({ content: "my secret question", status: "COMPLETE" }),
  },
  {
    field: "replyStream",
    subscription: true,
    operation: () => ({ query: `subscription($id: ID!) { replyStream(messageId: $id) { delta done } }`, variables: { id: messageId } }),
    expect: { owner: "ok", other: "NOT_FOUND", anonymous: "UNAUTHENTICATED" },
    check: (d) => expect(d.replyStream).toEqual({ delta: "my secret question", done: true }),
  },
];

/** The signOut row ends sessions: sign the long-lived identities back in when needed. */
async function clientFor(who: Who): Promise<TestClient> {
  for (const [client, email] of [[owner, "owner@example.com"], [other, "other@example.com"]] as const) {
    if (!client.cookie) {
      await client.data(`mutation($e: String!) { signIn(input: { email: $e, password: "correct horse battery" }) { id } }`, { e: email });
    }
  }
  // A fresh client each time: the signUp and signIn rows give a client a session.
  return who === "owner" ? owner : who === "other" ? other : app.client();
}

describe.each(rows.map((row) => [row.field, row] as const))("%s", (_field, row) => {
  for (const who of ["other", "anonymous", "owner"] as const) {
    test(`as ${who}: ${row.expect[who]}`, async () => {
      const client = await clientFor(who);
      await ownerFixtures();
      const { query, variables } = row.operation();
      const result = row.subscription ? (await client.stream(query, variables))[0]! : await client.request(query, variables);
      const outcome = row.expect[who];
      if (outcome === "ok" || outcome === "EMPTY") {
        expect(result.errors).toBeUndefined();
        if (outcome === "ok") await row.check?.(result.data);
        else expect(row.empty!(result.data)).toEqual([]);
      } else {
        expect(result.data?.[row.field] ?? null).toBeNull();
        expect(result.errors?.[0]?.extensions?.code).toBe(outcome);
      }
      // Whatever another user or nobody tried, the owner's data is untouched.
      if (who !== "owner") {
        const chat = await app.db.chat.findUnique({ where: { id: chatId }, include: { messages: true } });
        expect(chat?.title).toBe("Private plans");
        expect(chat?.messages.map((m) => m.content)).toEqual(["my secret question"]);
        expect((await app.db.aiModel.findUnique({ where: { id: modelId } }))?.name).toBe("Mine");
        expect(await app.db.accessToken.count({ where: { id: { in: [tokenId, accessTokenId] }, revokedAt: null } })).toBe(2);
        expect((await app.db.memory.findUnique({ where: { id: memoryId } }))?.text).toBe("The owner's secret plan.");
        expect((await app.db.user.findUniqueOrThrow({ where: { id: ownerId } })).memoryEnabled).toBe(true);
        expect(await app.db.session.count({ where: { id: sessionId } })).toBe(1);
        expect(await app.db.passwordReset.count({ where: { userId: ownerId, createdById: { not: ownerId } } })).toBe(0);
        expect(await app.db.invite.count({ where: { id: inviteId } })).toBe(1);
        expect(await app.db.user.count({ where: { id: victimId } })).toBe(1);
        expect((await app.db.aiModel.findUnique({ where: { id: sharedFixtureId } }))?.description).toBe("");
        expect(await app.db.user.count({ where: { id: ownerId, role: "ADMIN", deactivatedAt: null, monthlyBudget: null } })).toBe(1);
      }
    });
  }
});

describe("a shared model (global, admin-written): another user reads and uses it, never its key, and cannot write it", () => {
  let sharedId: string;
  beforeAll(async () => {
    await clientFor("owner");
    sharedId = (
      await app.db.aiModel.create({
        data: { userId: ownerId, shared: true, sharedWithAll: true, name: "Shared to all", providerModelId: "m", baseUrl: "http://127.0.0.1:9/v1", apiKeyCiphertext: "sealed", apiKeyLast4: "LAST" },
      })
    ).id;
  });
  afterAll(() => app.db.aiModel.deleteMany({ where: { id: sharedId } }));

  test("reads: listed and readable, with no part of its key", async () => {
    const listed = await other.data(`query($id: ID!) { models { id shared apiKeyLast4 hasApiKey } model(id: $id) { apiKeyLast4 } }`, { id: sharedId });
    expect(listed.models.find((m: { id: string }) => m.id === sharedId)).toEqual({ id: sharedId, shared: true, apiKeyLast4: null, hasApiKey: true });
    expect(listed.model.apiKeyLast4).toBeNull();
  });

  test("uses: a chat and the glasses settings may point at it", async () => {
    expect((await other.request(`mutation($m: ID) { createChat(input: { modelId: $m }) { model { id } } }`, { m: sharedId })).data?.createChat.model.id).toBe(sharedId);
    expect((await other.request(`mutation($m: ID) { updateGlassesSettings(input: { modelId: $m }) { model { id } } }`, { m: sharedId })).errors).toBeUndefined();
  });

  test("writes: updateModel, deleteModel and a connection test with its key are FORBIDDEN; anonymous is UNAUTHENTICATED", async () => {
    for (const client of [other, app.client()]) {
      const expected = client === other ? "FORBIDDEN" : "UNAUTHENTICATED";
      for (const query of [
        `mutation($id: ID!) { updateModel(id: $id, input: { name: "Mine now" }) { id } }`,
        `mutation($id: ID!) { deleteModel(id: $id) }`,
        `mutation($id: ID) { testModelConnection(input: { modelId: $id }) { ok } }`,
      ]) {
        expect((await client.request(query, { id: sharedId })).errors?.[0]?.extensions?.code).toBe(expected);
      }
    }
    expect((await app.db.aiModel.findUniqueOrThrow({ where: { id: sharedId } })).name).toBe("Shared to all");
  });
});

test("an id that does not exist answers exactly like another user's id", async () => {
  await clientFor("owner");
  await ownerFixtures();
  const missing = await other.request(`query($id: ID!) { chat(id: $id) { id } }`, { id: "does-not-exist" });
  const foreign = await other.request(`query($id: ID!) { chat(id: $id) { id } }`, { id: chatId });
  expect(foreign.errors?.[0]).toEqual(missing.errors?.[0]);
});

test("the matrix covers every root field of the schema", () => {
  const fields = [
    ...Object.keys(schema.getQueryType()!.getFields()),
    ...Object.keys(schema.getMutationType()!.getFields()),
    ...Object.keys(schema.getSubscriptionType()?.getFields() ?? {}),
  ].sort();
  expect(rows.map((r) => r.field).sort()).toEqual(fields);
});
