/**
 * Who may sign up: the first account is decided atomically (one ADMIN however many arrive
 * together, and "closed" means closed after it); the sign-up mode lives in the database and an
 * administrator changes it at run time; invite links are one-time, expiring and stored hashed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hashToken } from "../../server/src/crypto/tokens.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { email role } }`;
const TOGETHER = 20;
// Each from its own address: sign-ups are also limited per address (tested in tests/accounts).
let addresses = 0;
const nextAddress = () => `198.51.${Math.floor(++addresses / 250)}.${addresses % 250}`;
const signUp = (app: TestApp, email: string, inviteToken?: string) =>
  app.client(nextAddress()).request(SIGN_UP, { input: { email, password: "long enough pw", inviteToken } });

describe("the first sign-up", () => {
  for (const closed of [false, true]) {
    test(`${TOGETHER} first sign-ups at once with sign-up ${closed ? "closed" : "open"}: exactly one ADMIN${closed ? ", nobody else gets in" : ""}`, async () => {
      const app = await startTestApp({ SIGNUP_OPEN: String(!closed) });
      try {
        const results = await Promise.all(Array.from({ length: TOGETHER }, (_, i) => signUp(app, `first${i}@example.com`)));
        const admins = results.filter((r) => r.data?.signUp.role === "ADMIN");
        expect(admins).toHaveLength(1);
        expect(await app.db.user.count({ where: { role: "ADMIN" } })).toBe(1);
        if (closed) {
          expect(await app.db.user.count()).toBe(1);
          for (const refused of results.filter((r) => r.errors)) {
            expect(refused.errors![0]!.extensions?.code).toBe("FORBIDDEN");
            expect(refused.errors![0]!.message).toContain("Sign-up is closed");
          }
        } else {
          expect(results.filter((r) => r.errors)).toEqual([]);
          expect(await app.db.user.count()).toBe(TOGETHER);
        }
        const info = await app.client().data(`{ serverInfo { needsFirstAccount signupMode signupOpen } }`);
        expect(info.serverInfo).toEqual({ needsFirstAccount: false, signupMode: closed ? "CLOSED" : "OPEN", signupOpen: !closed });
      } finally {
        await app.close();
      }
    }, 60_000);
  }
});

describe("sign-up mode and invites", () => {
  let app: TestApp;
  let admin: TestClient;
  let member: TestClient;
  beforeAll(async () => {
    app = await startTestApp({ SIGNUP_OPEN: "true" });
    admin = await app.signedUp("admin@example.com");
    member = await app.signedUp("member@example.com");
  });
  afterAll(() => app.close());

  const setMode = (client: TestClient, mode: string) => client.request(`mutation($m: SignupMode!) { setSignupMode(mode: $m) }`, { m: mode });
  const invite = async (input: Record<string, unknown> = {}) =>
    (await admin.data(`mutation($i: CreateInviteInput) { createInvite(input: $i) { token path invite { id state note expiresAt } } }`, { i: input }))
      .createInvite;

  test("an administrator closes sign-up at run time, and it stays closed after a restart of the services", async () => {
    expect((await admin.data(`mutation { setSignupMode(mode: CLOSED) }`)).setSignupMode).toBe("CLOSED");
    const refused = await signUp(app, "late@example.com");
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining("Sign-up is closed"), extensions: { code: "FORBIDDEN" } });
    expect(await app.db.user.count({ where: { email: "late@example.com" } })).toBe(0);
    // Another instance on the same database (as after a restart with SIGNUP_OPEN=true) reads the stored mode.
    const sibling = await startTestApp({ SIGNUP_OPEN: "true" }, { instanceOf: app });
    try {
      expect((await sibling.client().data(`{ serverInfo { signupMode } }`)).serverInfo.signupMode).toBe("CLOSED");
      expect((await signUp(sibling, "late@example.com")).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    } finally {
      await sibling.close();
    }
    await setMode(admin, "OPEN");
    expect((await signUp(app, "late@example.com")).data?.signUp).toEqual({ email: "late@example.com", role: "MEMBER" });
  });

  test("only an administrator may change the mode or make invites", async () => {
    for (const [client, code] of [[member, "FORBIDDEN"], [app.client(), "UNAUTHENTICATED"]] as const) {
      expect((await setMode(client, "CLOSED")).errors?.[0]?.extensions?.code).toBe(code);
      expect((await client.request(`mutation { createInvite { token } }`)).errors?.[0]?.extensions?.code).toBe(code);
      expect((await client.request(`{ invites { id } }`)).errors?.[0]?.extensions?.code).toBe(code);
    }
    expect((await app.client().data(`{ serverInfo { signupMode } }`)).serverInfo.signupMode).toBe("OPEN");
    expect(await app.db.invite.count()).toBe(0);
  });

  test("invite-only: no link, no account; a link works once, is stored hashed and shows who used it", async () => {
    await setMode(admin, "INVITE_ONLY");
    const without = await signUp(app, "uninvited@example.com");
    expect(without.errors?.[0]).toMatchObject({ message: expect.stringContaining("by invitation"), extensions: { code: "FORBIDDEN" } });

    const created = await invite({ note: "for Sam" });
    expect(created.path).toBe(`/signin?invite=${created.token}`);
    expect(created.invite).toMatchObject({ state: "ACTIVE", note: "for Sam" });
    const row = await app.db.invite.findUniqueOrThrow({ where: { id: created.invite.id } });
    expect(row.tokenHash).toBe(hashToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);

    // Five people open the same link at once: one account.
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => signUp(app, `sam${i}@example.com`, created.token)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const refused of results.filter((r) => r.errors)) {
      expect(refused.errors![0]).toMatchObject({ message: expect.stringContaining("already used"), extensions: { code: "FORBIDDEN", field: "inviteToken" } });
    }
    const winner = results.find((r) => !r.errors)!.data!.signUp.email;
    const listed = (await admin.data(`{ invites { id state usedByEmail createdByName } }`)).invites;
    expect(listed.find((i: { id: string }) => i.id === created.invite.id)).toEqual({
      id: created.invite.id,
      state: "USED",
      usedByEmail: winner,
      createdByName: "admin",
    });
  });

  test("an invite whose sign-up fails (email taken) can still be used", async () => {
    await setMode(admin, "INVITE_ONLY");
    const { token } = await invite();
    const taken = await signUp(app, "member@example.com", token);
    expect(taken.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect((await signUp(app, "second-try@example.com", token)).data?.signUp.role).toBe("MEMBER");
  });

  test("an expired or withdrawn invite opens nothing, and expiry is bounded", async () => {
    await setMode(admin, "INVITE_ONLY");
    const expired = await invite({ expiresInHours: 1 });
    await app.db.invite.update({ where: { id: expired.invite.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await signUp(app, "too-late@example.com", expired.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const listed = (await admin.data(`{ invites { id state } }`)).invites;
    expect(listed.find((i: { id: string }) => i.id === expired.invite.id).state).toBe("EXPIRED");

    const withdrawn = await invite();
    expect((await admin.data(`mutation($id: ID!) { revokeInvite(id: $id) }`, { id: withdrawn.invite.id })).revokeInvite).toBe(true);
    expect((await signUp(app, "withdrawn@example.com", withdrawn.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const tooLong = await admin.request(`mutation { createInvite(input: { expiresInHours: 100000 }) { token } }`);
    expect(tooLong.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: "expiresInHours" } });
    expect(await app.db.user.count({ where: { email: { in: ["too-late@example.com", "withdrawn@example.com"] } } })).toBe(0);
  });

  test("closed refuses invite links too", async () => {
    const { token } = await invite();
    await setMode(admin, "CLOSED");
    expect((await signUp(app, "closed-invite@example.com", token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    await setMode(admin, "OPEN");
  });
});
