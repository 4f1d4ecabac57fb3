/**
 * Administration of accounts through the API, on every database: list and search with paging
 * and this month's usage, deactivate (sessions end, glasses tokens answer 401, sign-in refused)
 * and reactivate, delete with everything (confirmed, with a count of what went), make and remove
 * administrators (never the last), budgets that stop a request before the provider is asked.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { until } from "../support/chat-page.ts";
import { modelAndChat, send, settled } from "../support/replies.ts";

let app: TestApp;
let fake: FakeProvider;
let admin: TestClient;
let ada: TestClient;
let adaId: string;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  admin = await app.signedUp("root@example.com");
  ada = await app.signedUp("ada@example.com");
  adaId = (await ada.data(`{ viewer { id } }`)).viewer.id;
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

const USER_FIELDS = "id email displayName role active monthlyBudget monthUsage { requests promptTokens completionTokens cost }";
const chatRequests = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").length;

describe("the users list", () => {
  test("pages oldest first, searches email and name, and shows this month's usage", async () => {
    for (const name of ["grace", "linus", "barbara"]) await app.signedUp(`${name}@example.com`);
    const { chatId } = await modelAndChat(ada, fake.url, { inputCostPerMTok: 1000, outputCostPerMTok: 1000 });
    await settled(app, (await send(ada, chatId, "one two three")).reply.id);
    // Usage is counted just after the reply is stored.
    await until(() => app.db.usageDaily.count(), (rows) => rows > 0);

    const first = (await admin.data(`{ adminUsers(first: 2) { edges { node { email } } pageInfo { hasNextPage endCursor } } adminUserCount }`));
    expect(first.adminUsers.edges.map((e: any) => e.node.email)).toEqual(["root@example.com", "ada@example.com"]);
    expect(first.adminUserCount).toBe(5);
    const next = await admin.data(`query($after: String) { adminUsers(first: 10, after: $after) { edges { node { email } } pageInfo { hasNextPage } } }`, {
      after: first.adminUsers.pageInfo.endCursor,
    });
    expect(next.adminUsers.edges.map((e: any) => e.node.email)).toEqual(["grace@example.com", "linus@example.com", "barbara@example.com"]);
    expect(next.adminUsers.pageInfo.hasNextPage).toBe(false);

    const found = await admin.data(`{ adminUsers(first: 10, search: "LIN") { edges { node { email } } } adminUserCount(search: "ada") }`);
    expect(found.adminUsers.edges.map((e: any) => e.node.email)).toEqual(["linus@example.com"]);
    expect(found.adminUserCount).toBe(1);

    const usage = (await admin.data(`{ adminUsers(first: 2) { edges { node { ${USER_FIELDS} } } } }`)).adminUsers.edges[1].node;
    expect(usage.monthUsage.requests).toBe(1);
    expect(usage.monthUsage.promptTokens).toBeGreaterThan(0);
    expect(usage.monthUsage.cost).toBeGreaterThan(0);
  });

  test("a cursor from another search is refused", async () => {
    const page = await admin.data(`{ adminUsers(first: 1, search: "example") { pageInfo { endCursor } } }`);
    const other = await admin.request(`query($after: String) { adminUsers(first: 1, after: $after) { edges { node { id } } } }`, { after: page.adminUsers.pageInfo.endCursor });
    expect(other.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("deactivation", () => {
  test("ends the user's sessions, refuses sign-in and makes their glasses tokens answer 401; reactivation undoes it", async () => {
    const sam = await app.signedUp("sam@example.com");
    const samId = (await sam.data(`{ viewer { id } }`)).viewer.id;
    const token = (await sam.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
    const glasses = () =>
      app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: glassesForm() }));
    expect((await glasses()).status).not.toBe(401);

    const done = await admin.data(`mutation($id: ID!) { deactivateUser(id: $id) { active } }`, { id: samId });
    expect(done.deactivateUser.active).toBe(false);
    expect((await sam.data(`{ viewer { id } }`)).viewer).toBeNull();
    expect(await app.db.session.count({ where: { userId: samId } })).toBe(0);
    expect((await glasses()).status).toBe(401);
    const signIn = await app.client("198.51.100.7").request(`mutation { signIn(input: { email: "sam@example.com", password: "${PASSWORD}" }) { id } }`);
    expect(signIn.errors?.[0]).toMatchObject({ message: expect.stringContaining("deactivated"), extensions: { code: "FORBIDDEN" } });

    await admin.data(`mutation($id: ID!) { reactivateUser(id: $id) { active } }`, { id: samId });
    expect((await glasses()).status).not.toBe(401);
    const again = await app.client("198.51.100.8").request(`mutation { signIn(input: { email: "sam@example.com", password: "${PASSWORD}" }) { id } }`);
    expect(again.errors).toBeUndefined();
  });

  test("an administrator cannot deactivate themselves", async () => {
    const rootId = (await admin.data(`{ viewer { id } }`)).viewer.id;
    const result = await admin.request(`mutation($id: ID!) { deactivateUser(id: $id) { active } }`, { id: rootId });
    expect(result.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });
});

describe("roles", () => {
  test("the last active administrator cannot be removed; with a second one, they can", async () => {
    const rootId = (await admin.data(`{ viewer { id } }`)).viewer.id;
    const last = await admin.request(`mutation($id: ID!) { setUserRole(id: $id, role: MEMBER) { role } }`, { id: rootId });
    expect(last.errors?.[0]).toMatchObject({ message: expect.stringContaining("last active administrator"), extensions: { code: "CONFLICT" } });
    expect((await app.db.user.findUniqueOrThrow({ where: { id: rootId } })).role).toBe("ADMIN");

    const promoted = await admin.data(`mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }`, { id: adaId });
    expect(promoted.setUserRole.role).toBe("ADMIN");
    // Ada's next request already sees her new role (remembered users are dropped).
    expect((await ada.data(`{ adminUserCount }`)).adminUserCount).toBeGreaterThan(1);
    await ada.data(`mutation($id: ID!) { setUserRole(id: $id, role: MEMBER) { role } }`, { id: adaId });
    expect((await ada.request(`{ adminUserCount }`)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("budgets", () => {
  test("a spent monthly budget refuses the next request with the figures, before the provider is asked", async () => {
    const bob = await app.signedUp("bob@example.com");
    const bobId = (await bob.data(`{ viewer { id } }`)).viewer.id;
    const { chatId } = await modelAndChat(bob, fake.url, { inputCostPerMTok: 1_000_000, outputCostPerMTok: 1_000_000 });
    const bad = await admin.request(`mutation($id: ID!) { setUserBudget(id: $id, monthlyBudget: -1) { id } }`, { id: bobId });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "monthlyBudget" } });
    const set = await admin.data(`mutation($id: ID!) { setUserBudget(id: $id, monthlyBudget: 5) { monthlyBudget } }`, { id: bobId });
    expect(set.setUserBudget.monthlyBudget).toBe(5);

    // One reply costs a unit per token: more than the budget.
    await settled(app, (await send(bob, chatId, "spend it all")).reply.id);
    await until(() => app.db.usageDaily.count({ where: { userId: bobId } }), (rows) => rows > 0);
    const before = chatRequests();
    const messagesBefore = await app.db.message.count({ where: { chatId } });
    const refused = await bob.request(`mutation($c: ID!) { sendMessage(chatId: $c, content: "one more") { reply { id } } }`, { c: chatId });
    expect(refused.errors?.[0]?.extensions?.code).toBe("BUDGET_EXCEEDED");
    expect(refused.errors?.[0]?.message).toContain("monthly budget");
    const budget = (refused.errors![0]!.extensions as any).budget;
    expect(budget).toMatchObject({ scope: "USER", limit: 5, resetsAt: expect.stringMatching(/^\d{4}-\d{2}-01T00:00:00/) });
    expect(budget.spent).toBeGreaterThanOrEqual(5);
    expect(chatRequests()).toBe(before);
    expect(await app.db.message.count({ where: { chatId } })).toBe(messagesBefore);
    expect((await bob.request(`mutation($c: ID!) { regenerate(chatId: $c) { id } }`, { c: chatId })).errors?.[0]?.extensions?.code).toBe("BUDGET_EXCEEDED");

    // The glasses hear a short sentence (200, as for other failures the wearer can act on).
    const token = (await bob.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
    const heard = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: glassesForm() }));
    const answer = (await heard.json()) as any;
    expect(answer.message).toBe("This month's budget is spent. Ask your administrator to raise it.");
    expect(answer.debug.error).toMatchObject({ status: 402, code: "BUDGET_EXCEEDED" });
    expect(chatRequests()).toBe(before);

    // Raised: it works again.
    await admin.data(`mutation($id: ID!) { setUserBudget(id: $id, monthlyBudget: null) { monthlyBudget } }`, { id: bobId });
    expect((await send(bob, chatId, "thanks")).reply.status).toBe("STREAMING");
  });

  test("my usage: by model and source, only mine", async () => {
    const mine = (await ada.data(`{ myUsage { totals { requests cost } byModel { modelName requests } bySource { source requests } byDay { day requests } } }`)).myUsage;
    expect(mine.totals.requests).toBe(1);
    expect(mine.bySource).toEqual([{ source: "WEB", requests: 1 }]);
    expect(mine.byDay).toHaveLength(1);
    const wrong = await ada.request(`{ myUsage(from: "2026-13-01") { totals { requests } } }`);
    expect(wrong.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "from" } });
    const everyone = (await admin.data(`{ usageReport { totals { requests } byUser { userId requests } } }`)).usageReport;
    expect(everyone.byUser.length).toBeGreaterThanOrEqual(2);
  });
});

describe("deleting an account", () => {
  test("needs the email typed again, removes everything it held and says what went", async () => {
    const eve = await app.signedUp("eve@example.com");
    const eveId = (await eve.data(`{ viewer { id } }`)).viewer.id;
    const { chatId } = await modelAndChat(eve, fake.url);
    await settled(app, (await send(eve, chatId, "hello there")).reply.id);
    await eve.data(`mutation { createMemory(text: "Eve likes tea.") { id } }`);

    const unconfirmed = await admin.request(`mutation($id: ID!) { deleteUser(id: $id, confirmEmail: "someone@example.com") { email } }`, { id: eveId });
    expect(unconfirmed.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "confirmEmail" } });
    expect(await app.db.user.count({ where: { id: eveId } })).toBe(1);

    const deleted = await admin.data(`mutation($id: ID!) { deleteUser(id: $id, confirmEmail: "EVE@example.com") { email chats messages models memories sessions } }`, {
      id: eveId,
    });
    expect(deleted.deleteUser).toEqual({ email: "eve@example.com", chats: 1, messages: 2, models: 1, memories: 1, sessions: 1 });
    expect(await app.db.user.count({ where: { id: eveId } })).toBe(0);
    expect(await app.db.chat.count({ where: { userId: eveId } })).toBe(0);
    expect(await app.db.message.count({ where: { chatId } })).toBe(0);
    expect((await eve.data(`{ viewer { id } }`)).viewer).toBeNull();
  });
});

function glassesForm(): FormData {
  const body = new FormData();
  body.append("prompt", "hello");
  body.append("messages", "[]");
  body.append("location", "");
  body.append("time", "");
  return body;
}
