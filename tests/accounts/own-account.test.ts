/**
 * "Your account" over the API: change the email (asks for the password), change the password
 * (asks for the current one, signs out the other sessions, follows the password rules), list
 * one's sessions with device, address and last use, and sign out one or all of the others.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { id } }`;
const SESSIONS = `{ mySessions { id device browser system clientAddress signedInAt lastSeenAt current } }`;
const VIEWER = `{ viewer { email displayName } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ SIGNIN_MAX_ATTEMPTS: "4" });
});
afterAll(() => app.close());

async function signedIn(email: string, password: string, userAgent: string, address: string): Promise<TestClient> {
  const client = app.client(address);
  client.headers = { "user-agent": userAgent };
  await client.data(SIGN_IN, { input: { email, password } });
  return client;
}

describe("sessions", () => {
  test("each browser is listed with its device, address and times; this one is marked and first", async () => {
    await app.signedUp("sam@example.com");
    const laptop = await signedIn("sam@example.com", "correct horse battery", FIREFOX_WINDOWS, "198.51.100.4");
    const phone = await signedIn("sam@example.com", "correct horse battery", SAFARI_IPHONE, "203.0.113.9");
    const { mySessions } = await laptop.data(SESSIONS);
    // Signing up started a session too (no user-agent: "Unknown device").
    expect(mySessions).toHaveLength(3);
    expect(mySessions[0]).toMatchObject({ device: "Firefox on Windows", browser: "Firefox", system: "Windows", clientAddress: "198.51.100.4", current: true });
    expect(mySessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(mySessions.map((s: { device: string }) => s.device)).toContain("Safari on iPhone");
    for (const s of mySessions) expect(Date.parse(s.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(s.signedInAt));
    const fromPhone = (await phone.data(SESSIONS)).mySessions;
    expect(fromPhone[0]).toMatchObject({ device: "Safari on iPhone", clientAddress: "203.0.113.9", current: true });
    // Nobody else's sessions, and no token or hash in the answer.
    expect(JSON.stringify(fromPhone)).not.toMatch(/tokenHash|[0-9a-f]{64}/);
  });

  test("signing out one other session ends exactly that one: its cookie no longer works", async () => {
    await app.signedUp("kim@example.com");
    const laptop = await signedIn("kim@example.com", "correct horse battery", FIREFOX_WINDOWS, "198.51.100.5");
    const phone = await signedIn("kim@example.com", "correct horse battery", SAFARI_IPHONE, "198.51.100.6");
    const phoneSession = (await laptop.data(SESSIONS)).mySessions.find((s: { device: string }) => s.device === "Safari on iPhone");
    expect((await laptop.data(`mutation($id: ID!) { signOutSession(id: $id) }`, { id: phoneSession.id })).signOutSession).toBe(phoneSession.id);
    expect((await phone.data(VIEWER)).viewer).toBeNull();
    expect((await laptop.data(VIEWER)).viewer.email).toBe("kim@example.com");
    const again = await laptop.request(`mutation($id: ID!) { signOutSession(id: $id) }`, { id: phoneSession.id });
    expect(again.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  test("another user's session id is NOT_FOUND and stays signed in", async () => {
    const mine = await app.signedUp("lee@example.com");
    const theirs = await signedIn("kim@example.com", "correct horse battery", CHROME_LINUX, "198.51.100.7");
    const theirSession = (await theirs.data(SESSIONS)).mySessions[0];
    const result = await mine.request(`mutation($id: ID!) { signOutSession(id: $id) }`, { id: theirSession.id });
    expect(result.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await theirs.data(VIEWER)).viewer.email).toBe("kim@example.com");
  });

  test("sign out all others: every other browser is signed out, this one stays", async () => {
    await app.signedUp("ola@example.com");
    const here = await signedIn("ola@example.com", "correct horse battery", CHROME_LINUX, "198.51.100.8");
    const others = [
      await signedIn("ola@example.com", "correct horse battery", FIREFOX_WINDOWS, "198.51.100.9"),
      await signedIn("ola@example.com", "correct horse battery", SAFARI_IPHONE, "198.51.100.10"),
    ];
    expect((await here.data(`mutation { signOutOtherSessions }`)).signOutOtherSessions).toBe(3);
    for (const other of others) expect((await other.data(VIEWER)).viewer).toBeNull();
    expect((await here.data(SESSIONS)).mySessions).toEqual([expect.objectContaining({ device: "Chrome on Linux", current: true })]);
  });
});

describe("changing the password", () => {
  const CHANGE = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { email } }`;

  test("asks for the current password; signs out every other session; the new one signs in, the old one does not", async () => {
    await app.signedUp("pat@example.com");
    const here = await signedIn("pat@example.com", "correct horse battery", CHROME_LINUX, "198.51.100.20");
    const elsewhere = await signedIn("pat@example.com", "correct horse battery", SAFARI_IPHONE, "198.51.100.21");
    const wrong = await here.request(CHANGE, { input: { currentPassword: "not my password", newPassword: "a brand new passphrase" } });
    expect(wrong.errors?.[0]).toMatchObject({ message: "That is not your current password.", extensions: { code: "BAD_USER_INPUT", field: "currentPassword" } });
    expect((await elsewhere.data(VIEWER)).viewer.email).toBe("pat@example.com");

    await here.data(CHANGE, { input: { currentPassword: "correct horse battery", newPassword: "a brand new passphrase" } });
    expect((await here.data(VIEWER)).viewer.email).toBe("pat@example.com");
    expect((await elsewhere.data(VIEWER)).viewer).toBeNull();
    const old = await app.client("198.51.100.22").request(SIGN_IN, { input: { email: "pat@example.com", password: "correct horse battery" } });
    expect(old.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    await app.client("198.51.100.23").data(SIGN_IN, { input: { email: "pat@example.com", password: "a brand new passphrase" } });
  });

  test("the new password follows the rules, and the message says which one failed", async () => {
    const me = await app.signedUp("quinn.doe@example.com");
    const cases: [string, RegExp][] = [
      ["short", /at least 8 characters/],
      ["password123", /list of common passwords/],
      ["quinn.doe@example.com", /not your email address or your name/],
      ["correct horse battery", /differs from the current one/],
    ];
    for (const [newPassword, message] of cases) {
      const result = await me.request(CHANGE, { input: { currentPassword: "correct horse battery", newPassword } });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "newPassword" });
      expect(result.errors?.[0]?.message).toMatch(message);
    }
  });

  test("wrong current passwords count against the account's sign-in limit", async () => {
    const me = await app.signedUp("rae@example.com");
    for (let i = 0; i < 4; i++) await me.request(CHANGE, { input: { currentPassword: `guess ${i} guess`, newPassword: "a brand new passphrase" } });
    const limited = await me.request(CHANGE, { input: { currentPassword: "correct horse battery", newPassword: "a brand new passphrase" } });
    expect(limited.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    const signIn = await app.client("198.51.100.30").request(SIGN_IN, { input: { email: "rae@example.com", password: "correct horse battery" } });
    expect(signIn.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  });
});

describe("changing the email", () => {
  const CHANGE = `mutation($input: ChangeEmailInput!) { changeEmail(input: $input) { email } }`;

  test("asks for the password; the new address signs in and the old one no longer does", async () => {
    const me = await app.signedUp("old.address@example.com");
    const wrong = await me.request(CHANGE, { input: { newEmail: "new.address@example.com", password: "not my password" } });
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "password" });
    expect((await me.data(VIEWER)).viewer.email).toBe("old.address@example.com");

    const changed = await me.data(CHANGE, { input: { newEmail: "  New.Address@Example.com ", password: "correct horse battery" } });
    expect(changed.changeEmail.email).toBe("new.address@example.com");
    await app.client("198.51.100.40").data(SIGN_IN, { input: { email: "new.address@example.com", password: "correct horse battery" } });
    const old = await app.client("198.51.100.41").request(SIGN_IN, { input: { email: "old.address@example.com", password: "correct horse battery" } });
    expect(old.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  test("an address in use, a malformed one or one with invisible characters is refused on newEmail, and nothing changes", async () => {
    const me = await app.signedUp("uma@example.com");
    await app.signedUp("taken@example.com");
    const cases: [string, string][] = [
      ["TAKEN@example.com", "CONFLICT"],
      ["not an address", "BAD_USER_INPUT"],
      ["uma\u200B2@example.com", "BAD_USER_INPUT"],
    ];
    for (const [newEmail, code] of cases) {
      const result = await me.request(CHANGE, { input: { newEmail, password: "correct horse battery" } });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code, field: "newEmail" });
    }
    expect((await me.data(VIEWER)).viewer.email).toBe("uma@example.com");
  });
});

test("the display name changes with updateSettings, as the account page uses it", async () => {
  const me = await app.signedUp("vic@example.com");
  await me.data(`mutation { updateSettings(input: { displayName: "Victoria" }) { displayName } }`);
  expect((await me.data(VIEWER)).viewer.displayName).toBe("Victoria");
});
