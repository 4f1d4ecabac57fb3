import { afterAll, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { hashToken } from "../../server/src/crypto/tokens.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { id email displayName role } }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { id email } }`;
const VIEWER = `{ viewer { id email role } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ SIGNIN_MAX_ATTEMPTS: "3" });
});
afterAll(() => app.close());

describe("sign-up", () => {
  test("the first account becomes admin, later ones members; email is stored lower-case", async () => {
    const first = app.client();
    const one = await first.data(SIGN_UP, { input: { email: "Ada@Example.COM", password: "long enough pw", displayName: "Ada" } });
    expect(one.signUp).toMatchObject({ email: "ada@example.com", displayName: "Ada", role: "ADMIN" });
    const two = await app.client().data(SIGN_UP, { input: { email: "bob@example.com", password: "long enough pw" } });
    expect(two.signUp).toMatchObject({ role: "MEMBER", displayName: "bob" });
    expect((await first.data(VIEWER)).viewer.email).toBe("ada@example.com");
  });

  test("the same email in another case is refused", async () => {
    const result = await app.client().request(SIGN_UP, { input: { email: "ADA@example.com", password: "long enough pw" } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "email" });
  });

  test("bad email and short password name their field", async () => {
    const badEmail = await app.client().request(SIGN_UP, { input: { email: "not-an-email", password: "long enough pw" } });
    expect(badEmail.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "email" });
    const shortPassword = await app.client().request(SIGN_UP, { input: { email: "c@example.com", password: "1234567" } });
    expect(shortPassword.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "password" });
    expect(shortPassword.errors?.[0]?.message).toContain("at least 8 characters");
  });

  test("passwords are stored as argon2id hashes", async () => {
    const user = await app.db.user.findUniqueOrThrow({ where: { email: "ada@example.com" } });
    expect(user.passwordHash).toStartWith("$argon2id$");
    expect(user.passwordHash).not.toContain("long enough pw");
  });
});

describe("sessions", () => {
  test("the session cookie is HttpOnly and SameSite=Lax, and only its hash is stored", async () => {
    const client = app.client();
    await client.data(SIGN_IN, { input: { email: "ada@example.com", password: "long enough pw" } });
    const setCookie = client.lastResponse!.headers.get("set-cookie")!;
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).not.toContain("Secure");
    const token = decodeURIComponent(client.cookie!.split("=")[1]!);
    expect(await app.db.session.count({ where: { tokenHash: token } })).toBe(0);
    expect(await app.db.session.count({ where: { tokenHash: hashToken(token) } })).toBe(1);
  });

  test("sign-out deletes the session: the old cookie no longer signs in", async () => {
    const client = app.client();
    await client.data(SIGN_IN, { input: { email: "bob@example.com", password: "long enough pw" } });
    const stolen = client.cookie;
    const before = await app.db.session.count();
    expect(await client.data(`mutation { signOut }`)).toEqual({ signOut: true });
    expect(await app.db.session.count()).toBe(before - 1);
    expect(client.cookie).toBeNull();
    client.cookie = stolen;
    expect((await client.data(VIEWER)).viewer).toBeNull();
  });

  test("an expired session is no session, also one the server remembers (accounts/identity.ts)", async () => {
    const client = app.client();
    await client.data(SIGN_IN, { input: { email: "bob@example.com", password: "long enough pw" } });
    expect((await client.data(VIEWER)).viewer).not.toBeNull();
    const { expiresAt } = await app.db.session.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    try {
      setSystemTime(new Date(expiresAt.getTime() + 1000));
      expect((await client.data(VIEWER)).viewer).toBeNull();
    } finally {
      setSystemTime();
    }
  });

  test("a malformed or stale session cookie is no session: answered normally, and cleared", async () => {
    for (const cookie of ["aiui_session=%", "aiui_session=%E0%A4%A", "aiui_session=no-such-session"]) {
      const client = app.client();
      client.cookie = cookie;
      const viewer = await client.request(VIEWER);
      expect(viewer).toEqual({ data: { viewer: null } });
      // The page cannot clear an HttpOnly cookie itself: the answer does.
      expect(client.lastResponse!.headers.get("set-cookie")).toMatch(/^aiui_session=;.*Expires=Thu, 01 Jan 1970/);
      expect(client.cookie).toBeNull();
      // Signing in still works from there.
      client.cookie = cookie;
      const signedIn = await client.request(SIGN_IN, { input: { email: "ada@example.com", password: "long enough pw" } });
      expect(signedIn.errors).toBeUndefined();
      expect((await client.data(VIEWER)).viewer.email).toBe("ada@example.com");
      const attachment = await app.handle(new Request("http://aiui.test/attachments/x", { headers: { cookie } }));
      expect(attachment.status).toBe(404);
      expect(await attachment.json()).toEqual({ detail: "Attachment not found." });
    }
  });

  test("wrong password and unknown email give the same answer", async () => {
    const wrong = await app.client("198.51.100.7").request(SIGN_IN, { input: { email: "ada@example.com", password: "nope nope nope" } });
    const unknown = await app.client("198.51.100.8").request(SIGN_IN, { input: { email: "who@example.com", password: "nope nope nope" } });
    expect(wrong.errors?.[0]).toMatchObject({ message: "Email or password is wrong.", extensions: { code: "UNAUTHENTICATED" } });
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors![0]!.message);
  });
});

describe("sign-in rate limit (3 attempts in this app)", () => {
  test("per account: after 3 failures even the right password waits, from any address", async () => {
    await app.client().data(SIGN_UP, { input: { email: "carol@example.com", password: "long enough pw" } });
    for (let i = 0; i < 3; i++) {
      await app.client(`192.0.2.${i + 10}`).request(SIGN_IN, { input: { email: "carol@example.com", password: "wrong password" } });
    }
    const blocked = await app.client("192.0.2.99").request(SIGN_IN, { input: { email: "Carol@example.com", password: "long enough pw" } });
    expect(blocked.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    expect(blocked.errors?.[0]?.message).toMatch(/Too many sign-in attempts\. Try again in \d+ minutes?\./);
  });

  test("per address: one address guessing across accounts is stopped", async () => {
    const attacker = "192.0.2.200";
    for (const email of ["x1@example.com", "x2@example.com", "x3@example.com"]) {
      await app.client(attacker).request(SIGN_IN, { input: { email, password: "guess guess" } });
    }
    const blocked = await app.client(attacker).request(SIGN_IN, { input: { email: "ada@example.com", password: "long enough pw" } });
    expect(blocked.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    const elsewhere = await app.client("192.0.2.201").request(SIGN_IN, { input: { email: "ada@example.com", password: "long enough pw" } });
    expect(elsewhere.errors).toBeUndefined();
  });
});

describe("closed sign-up", () => {
  test("the first account can always be created; later ones are refused", async () => {
    const closed = await startTestApp({ SIGNUP_OPEN: "false", COOKIE_SECURE: "true" });
    try {
      const first = closed.client();
      await first.data(SIGN_UP, { input: { email: "owner@example.com", password: "long enough pw" } });
      expect(first.lastResponse!.headers.get("set-cookie")).toContain("Secure");
      const second = await closed.client().request(SIGN_UP, { input: { email: "guest@example.com", password: "long enough pw" } });
      expect(second.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" } });
      expect(second.errors?.[0]?.message).toContain("Sign-up is closed");
      expect(await closed.db.user.count()).toBe(1);
    } finally {
      await closed.close();
    }
  });
});
