/**
 * Sign-ups that arrive together: the database's unique email settles who gets the
 * account (the others hear it exists, not an internal error), and of the very first
 * accounts exactly one, the oldest, becomes the admin.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../support/app.ts";

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { email role } }`;
const TOGETHER = 8;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const signUp = (email: string) => app.client().request(SIGN_UP, { input: { email, password: "long enough pw" } });

test(`${TOGETHER} first sign-ups at once on an empty server: exactly one admin, the oldest account`, async () => {
  const results = await Promise.all(Array.from({ length: TOGETHER }, (_, i) => signUp(`first${i}@example.com`)));
  expect(results.filter((r) => r.errors)).toEqual([]);
  expect(results.filter((r) => r.data!.signUp.role === "ADMIN")).toHaveLength(1);
  const oldest = await app.db.user.findFirstOrThrow({ orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  expect(oldest.role).toBe("ADMIN");
  expect(await app.db.user.count({ where: { role: "ADMIN" } })).toBe(1);
}, 30_000);

test(`${TOGETHER} sign-ups with one email at once: one account, the others are told it exists`, async () => {
  const results = await Promise.all(Array.from({ length: TOGETHER }, () => signUp("twin@example.com")));
  expect(results.filter((r) => !r.errors)).toHaveLength(1);
  for (const refused of results.filter((r) => r.errors)) {
    expect(refused.errors![0]).toMatchObject({
      message: "An account with this email already exists. Sign in instead.",
      extensions: { code: "CONFLICT", field: "email" },
    });
  }
  expect(await app.db.user.count({ where: { email: "twin@example.com" } })).toBe(1);
}, 30_000);
