/**
 * One address, one spelling: emails are stored NFKC, trimmed and lower case, addresses with
 * invisible or control characters are refused, and the email column compares bytes on every
 * database (MySQL: utf8mb4_bin). So no variant of an address can dodge the per-account
 * sign-in limit by finding the same account under another spelling (issue 10).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../support/app.ts";

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { id email } }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { id email } }`;
const PASSWORD = "victim's own passphrase";

let app: TestApp;
let victimId: string;
beforeAll(async () => {
  app = await startTestApp({ SIGNIN_MAX_ATTEMPTS: "5" });
  victimId = (await app.client().data(SIGN_UP, { input: { email: "victim@example.com", password: PASSWORD } })).signUp.id;
});
afterAll(() => app.close());

describe("after 5 failures on one account", () => {
  // Each from its own address, so only the per-account limit stands in the way.
  const variants: [string, string][] = [
    ["an accented letter (equal under MySQL's default collation)", "vìctim@example.com"],
    ["fullwidth letters", "ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ"],
    ["a zero-width space", "vic\u200Btim@example.com"],
    ["a trailing NUL", "victim@example.com\u0000"],
    ["a right-to-left override", "\u202Evictim@example.com"],
    ["other case and spaces", "  VICTIM@Example.COM "],
    ["a soft hyphen", "vic\u00ADtim@example.com"],
  ];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      await app.client(`198.51.100.${i + 1}`).request(SIGN_IN, { input: { email: "victim@example.com", password: `guess number ${i}` } });
    }
  });

  for (const [i, [kind, email]] of variants.entries()) {
    test(`${kind}: the right password does not sign in`, async () => {
      const result = await app.client(`192.0.2.${i + 1}`).request(SIGN_IN, { input: { email, password: PASSWORD } });
      expect(result.data?.signIn ?? null).toBeNull();
      expect(["RATE_LIMITED", "UNAUTHENTICATED", "BAD_USER_INPUT"]).toContain(String(result.errors?.[0]?.extensions?.code));
    });
  }

  test("the same spelling, as typed with another case or width, meets the account's limit", async () => {
    for (const email of ["ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ", "  VICTIM@Example.COM "]) {
      const result = await app.client("192.0.2.50").request(SIGN_IN, { input: { email, password: PASSWORD } });
      expect(result.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    }
  });
});

describe("sign-up", () => {
  test("invisible and control characters are refused with a sentence that says so", async () => {
    for (const email of ["new\u200Buser@example.com", "newuser@example.com\u0000", "new\u202Euser@example.com", "new\u2060user@example.com"]) {
      const result = await app.client().request(SIGN_UP, { input: { email, password: "a fine passphrase" } });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "email" });
      // NUL is refused for every text field at the edge (graphql/input-text.ts), with its own sentence.
      expect(result.errors?.[0]?.message).toMatch(/invisible or control characters|NUL character/);
    }
    expect(await app.db.user.count({ where: { email: { contains: "newuser" } } })).toBe(0);
  });

  test("fullwidth letters are stored as the plain address, so they meet the existing account", async () => {
    const result = await app.client().request(SIGN_UP, { input: { email: "ＶＩＣＴＩＭ@example.com", password: "a fine passphrase" } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "email" });
    const stored = await app.client().data(SIGN_UP, { input: { email: "Ｆｕｌｌ@example.com", password: "a fine passphrase" } });
    expect(stored.signUp.email).toBe("full@example.com");
  });

  test("an accented address is another account on every database, with its own password and its own limit", async () => {
    const other = await app.client().data(SIGN_UP, { input: { email: "vìctim@example.com", password: "the other passphrase" } });
    expect(other.signUp.id).not.toBe(victimId);
    const signedIn = await app.client("192.0.2.77").data(SIGN_IN, { input: { email: "vìctim@example.com", password: "the other passphrase" } });
    expect(signedIn.signIn.id).toBe(other.signUp.id);
    const cross = await app.client("192.0.2.78").request(SIGN_IN, { input: { email: "vìctim@example.com", password: PASSWORD } });
    expect(cross.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await app.db.user.findUniqueOrThrow({ where: { email: "victim@example.com" } })).id).toBe(victimId);
  });
});
