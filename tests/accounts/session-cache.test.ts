/**
 * Sessions are resolved once and remembered across requests (accounts/identity.ts), and
 * every change that makes a remembered answer wrong drops it: sign-out, the user's own
 * changes through the fence, and invalidateUser / invalidateSession for changes made
 * elsewhere (password changes, deactivation). Across instances: tests/multi-instance.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../support/app.ts";
import { listing, StatementCounter } from "../support/statements.ts";

const counter = new StatementCounter();
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({}, { statements: counter });
});
afterAll(() => app.close());

const VIEWER = `{ viewer { id displayName } }`;

test("a known session costs no statement: viewer is answered without the database", async () => {
  const ada = await app.signedUp("ada@example.com");
  await ada.data(VIEWER);
  const counted = await counter.during(() => ada.data(VIEWER));
  expect(counted.statements, listing(counted)).toBe(0);
  expect((await ada.data(VIEWER)).viewer.displayName).toBe("ada");
});

test("a changed display name shows at once (the remembered user is dropped)", async () => {
  const bea = await app.signedUp("bea@example.com");
  await bea.data(VIEWER);
  await bea.data(`mutation { updateSettings(input: { displayName: "Beatrice" }) { id } }`);
  expect((await bea.data(VIEWER)).viewer.displayName).toBe("Beatrice");
});

test("a signed-out cookie is refused at once, also when replayed by another client", async () => {
  const cy = await app.signedUp("cy@example.com");
  await cy.data(VIEWER);
  const replay = app.client();
  replay.cookie = cy.cookie;
  expect((await replay.data(VIEWER)).viewer).not.toBeNull();
  await cy.data(`mutation { signOut }`);
  expect((await replay.data(VIEWER)).viewer).toBeNull();
});

test("invalidateUser: sessions ended outside the API (deactivation, password change) stop working on the next request", async () => {
  const dee = await app.signedUp("dee@example.com");
  const { id } = (await dee.data(VIEWER)).viewer;
  await app.db.session.deleteMany({ where: { userId: id } });
  app.services.accounts.identity.invalidateUser(id);
  expect((await dee.data(VIEWER)).viewer).toBeNull();
});

test("invalidateUser: a role changed outside the API is read again", async () => {
  const eve = await app.signedUp("eve@example.com");
  const { id } = (await eve.data(VIEWER)).viewer;
  expect((await eve.data(`{ viewer { role } }`)).viewer.role).toBe("MEMBER");
  await app.db.user.update({ where: { id }, data: { role: "ADMIN" } });
  app.services.accounts.identity.invalidateUser(id);
  expect((await eve.data(`{ viewer { role } }`)).viewer.role).toBe("ADMIN");
});

test("invalidateSession: one session ended by id stops working; the user's other session goes on", async () => {
  const fay = await app.signedUp("fay@example.com");
  const { id } = (await fay.data(VIEWER)).viewer;
  const other = app.client();
  await other.data(`mutation { signIn(input: { email: "fay@example.com", password: "correct horse battery" }) { id } }`);
  await other.data(VIEWER);
  const [first] = await app.db.session.findMany({ where: { userId: id }, orderBy: { createdAt: "asc" } });
  await app.db.session.delete({ where: { id: first!.id } });
  app.services.accounts.identity.invalidateSession(first!.id);
  expect((await fay.data(VIEWER)).viewer).toBeNull();
  expect((await other.data(VIEWER)).viewer.id).toBe(id);
});

test("an access token is remembered (no statement once known) and refused at once when revoked", async () => {
  const gus = await app.signedUp("gus@example.com");
  const { createAccessToken } = await gus.data(
    `mutation { createAccessToken(input: { name: "script", scopes: [GRAPHQL] }) { secret token { id } } }`,
  );
  const asToken = async () => {
    const response = await app.handle(
      new Request("http://aiui.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${createAccessToken.secret}` },
        body: JSON.stringify({ query: VIEWER }),
      }),
    );
    return (await response.json()) as { data?: { viewer: { displayName: string } | null }; errors?: { extensions?: { code?: string } }[] };
  };
  expect((await asToken()).data?.viewer?.displayName).toBe("gus");
  const counted = await counter.during(asToken);
  expect(counted.statements, listing(counted)).toBe(0);
  await gus.data(`mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, { id: createAccessToken.token.id });
  expect((await asToken()).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
});
