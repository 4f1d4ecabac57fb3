/**
 * New passwords (sign-up here; change and reset in their own tests): at least 8 characters,
 * not a common password, not the email or the name; the message says which rule failed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../support/app.ts";

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { id } }`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function refusal(password: string, email = "grace.hopper@example.com", displayName = "Grace Hopper") {
  const result = await app.client().request(SIGN_UP, { input: { email, password, displayName } });
  expect(result.data?.signUp ?? null).toBeNull();
  expect(result.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "password" });
  return result.errors![0]!.message;
}

test("shorter than 8 characters: the message names the length", async () => {
  expect(await refusal("x7#kq!2")).toBe("Choose a password of at least 8 characters.");
});

test("common passwords are refused whatever their case: the message says it is common", async () => {
  for (const password of ["12345678", "password", "PassWord", "iloveyou", "qwertyuiop", "sunshine1", "football"]) {
    expect(await refusal(password)).toContain("list of common passwords");
  }
});

test("the email, its name part, or the display name as the password is refused: the message says so", async () => {
  for (const password of ["grace.hopper@example.com", "GRACE.HOPPER", "Grace Hopper", " grace hopper "]) {
    expect(await refusal(password)).toBe("Choose a password that is not your email address or your name.");
  }
  expect(await app.db.user.count()).toBe(0);
});

test("a long uncommon passphrase is accepted", async () => {
  const result = await app.client().request(SIGN_UP, { input: { email: "grace.hopper@example.com", password: "nanoseconds of wire", displayName: "Grace Hopper" } });
  expect(result.errors).toBeUndefined();
});
