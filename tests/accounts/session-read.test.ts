/**
 * The session lookup's one statement (accounts/session-read.ts) reads the user row by hand:
 * it must be exactly the row Prisma reads, column for column, on every database (MySQL's
 * booleans and byte-exact email, decimals, dates, nulls).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sessionReader } from "../../server/src/accounts/session-read.ts";
import { freshDatabase, type TestDatabase, testProvider } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(() => database.drop());

test("a session and its user read in one statement are what Prisma reads, every column set", async () => {
  const db = database.db;
  const user = await db.user.create({
    data: {
      email: "zoë.ｗｉｄｅ@example.com",
      passwordHash: "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
      displayName: "Zoë",
      role: "ADMIN",
      memoryEnabled: true,
      defaultModelId: "no-such-model",
      theme: "DARK",
      deactivatedAt: new Date("2026-01-02T03:04:05.678Z"),
      monthlyBudget: "12.345678",
    },
  });
  const session = await db.session.create({
    data: { tokenHash: "hash-1", userId: user.id, expiresAt: new Date("2030-01-01T00:00:00.123Z"), lastSeenAt: new Date("2026-05-06T07:08:09.012Z") },
  });
  const found = await sessionReader(db, testProvider())("hash-1");
  expect(found?.user).toEqual((await db.user.findUnique({ where: { id: user.id } }))!);
  expect(found?.session).toEqual({ id: session.id, userId: user.id, expiresAt: session.expiresAt, createdAt: session.createdAt, lastSeenAt: session.lastSeenAt });
});

test("defaults and nulls read the same too", async () => {
  const db = database.db;
  const user = await db.user.create({ data: { email: "plain@example.com", passwordHash: "x", displayName: "Plain" } });
  await db.session.create({ data: { tokenHash: "hash-2", userId: user.id, expiresAt: new Date(Date.now() + 60_000) } });
  const found = await sessionReader(db, testProvider())("hash-2");
  expect(found?.user).toEqual((await db.user.findUnique({ where: { id: user.id } }))!);
  expect(found?.user.memoryEnabled).toBe(false);
  expect(found?.session.lastSeenAt).toBeNull();
});

test("a token hash no session has reads as none", async () => {
  expect(await sessionReader(database.db, testProvider())("no-such-hash")).toBeNull();
});
