/**
 * The message-tree migration on every database: chats written before it become linear
 * chains (each message follows the one before it, ties on the time broken by id), and
 * each chat's newest message becomes its current leaf.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { applyMigrations, listMigrations } from "../../server/src/db/migrate.ts";
import { freshDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  const tree = listMigrations("sqlite").find((m) => m.name.endsWith("_message_tree_and_settings"))!;
  database = await freshDatabase({ migrationsBefore: tree.name });
});
afterAll(() => database.drop());

test("existing chats become linear chains with the newest message as their leaf", async () => {
  const { db, provider } = database;
  // The user row by hand: the client would fill in the columns this migration adds.
  const q = (name: string) => (provider === "mysql" ? `\`${name}\`` : `"${name}"`);
  await db.$executeRawUnsafe(
    `INSERT INTO ${q("User")} (${["id", "email", "passwordHash", "displayName", "role", "updatedAt"].map(q).join(", ")}) VALUES ('u1', 'old@example.com', 'x', 'Old', 'MEMBER', CURRENT_TIMESTAMP)`,
  );
  // createMany writes only the columns it is given, so it works on the tables as they were.
  await db.chat.createMany({
    data: [
      { id: "chat-a", userId: "u1", title: "A" },
      { id: "chat-b", userId: "u1", title: "B" },
      { id: "chat-empty", userId: "u1", title: "Empty" },
    ],
  });
  const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
  await db.message.createMany({
    data: [
      // Written out of order, with two messages of chat A at the same time (the id decides).
      { id: "a3", chatId: "chat-a", role: "USER", content: "third", createdAt: at(3) },
      { id: "a1", chatId: "chat-a", role: "USER", content: "first", createdAt: at(1) },
      { id: "a2b", chatId: "chat-a", role: "ASSISTANT", content: "second (b)", createdAt: at(2) },
      { id: "a2a", chatId: "chat-a", role: "ASSISTANT", content: "second (a)", createdAt: at(2) },
      { id: "b1", chatId: "chat-b", role: "USER", content: "only", createdAt: at(1) },
    ],
  });

  await applyMigrations(db, provider);

  const parents = Object.fromEntries((await db.message.findMany({ select: { id: true, parentId: true } })).map((m) => [m.id, m.parentId]));
  expect(parents).toEqual({ a1: null, a2a: "a1", a2b: "a2a", a3: "a2b", b1: null });
  const leaves = Object.fromEntries((await db.chat.findMany({ select: { id: true, currentLeafId: true } })).map((c) => [c.id, c.currentLeafId]));
  expect(leaves).toEqual({ "chat-a": "a3", "chat-b": "b1", "chat-empty": null });
  const user = await db.user.findUniqueOrThrow({ where: { id: "u1" } });
  expect(user).toMatchObject({ defaultModelId: null, theme: "SYSTEM" });
});
