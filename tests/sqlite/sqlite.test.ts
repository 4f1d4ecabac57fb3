/**
 * What only the embedded SQLite database does. Runs in the SQLite pass of `bun run test`
 * only (tests/run.ts), on its own scratch files.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, openDatabase } from "../../server/src/db/client.ts";
import { applyMigrations } from "../../server/src/db/migrate.ts";

let dir: string;
let database: Database;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aiui-sqlite-"));
  database = await openDatabase(`file:${join(dir, "aiui.db")}`, "sqlite");
  await applyMigrations(database.db, "sqlite");
});
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the database file is in WAL mode", async () => {
  const [row] = await database.db.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
  expect(row!.journal_mode).toBe("wal");
});

test.each([
  [
    "latest chats of a user",
    `SELECT * FROM "Chat" WHERE "userId" = 'u' ORDER BY "updatedAt" DESC, "id" DESC LIMIT 20`,
    "Chat_userId_updatedAt_id_idx",
  ],
  [
    "last messages of a chat",
    `SELECT * FROM "Message" WHERE "chatId" = 'c' ORDER BY "createdAt" DESC, "id" DESC LIMIT 50`,
    "Message_chatId_createdAt_id_idx",
  ],
])("%s is an index walk, with no sort and no table scan", async (_name, sql, index) => {
  const plan = (await database.db.$queryRawUnsafe<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`)).map((r) => r.detail).join("\n");
  expect(plan).toContain(`USING INDEX ${index}`);
  expect(plan).not.toContain("USE TEMP B-TREE");
  expect(plan).not.toMatch(/^SCAN /m);
});

test("a SQLite migration that rebuilds a parent table keeps its children's rows", async () => {
  const root = mkdtempSync(join(tmpdir(), "aiui-migrations-"));
  const write = (name: string, sql: string) => {
    mkdirSync(join(root, "sqlite", name), { recursive: true });
    writeFileSync(join(root, "sqlite", name, "migration.sql"), sql);
  };
  write(
    "1_tables",
    `CREATE TABLE "Parent" ("id" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "Child" ("id" TEXT NOT NULL PRIMARY KEY, "parentId" TEXT NOT NULL,
  CONSTRAINT "Child_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Parent" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
INSERT INTO "Parent" ("id") VALUES ('p1');
INSERT INTO "Child" ("id", "parentId") VALUES ('c1', 'p1');
`,
  );
  // What `prisma migrate diff` writes for SQLite when a column changes type.
  write(
    "2_redefine_parent",
    `-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Parent" ("id" TEXT NOT NULL PRIMARY KEY, "note" TEXT NOT NULL DEFAULT '');
INSERT INTO "new_Parent" ("id") SELECT "id" FROM "Parent";
DROP TABLE "Parent";
ALTER TABLE "new_Parent" RENAME TO "Parent";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
`,
  );
  const scratch = await openDatabase(`file:${join(root, "scratch.db")}`, "sqlite");
  try {
    expect(await applyMigrations(scratch.db, "sqlite", () => {}, root)).toEqual(["1_tables", "2_redefine_parent"]);
    expect(await scratch.db.$queryRawUnsafe(`SELECT "id", "parentId" FROM "Child"`)).toEqual([{ id: "c1", parentId: "p1" }]);
    const [{ foreign_keys }] = await scratch.db.$queryRawUnsafe<{ foreign_keys: number | bigint }[]>("PRAGMA foreign_keys");
    expect(Number(foreign_keys)).toBe(1);
  } finally {
    await scratch.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("the write-ahead log is copied into the file by the checkpointer thread, not by a commit on the event loop", async () => {
  const root = mkdtempSync(join(tmpdir(), "aiui-wal-"));
  const file = join(root, "wal.db");
  const scratch = await openDatabase(`file:${file}`, "sqlite");
  try {
    const [row] = await scratch.db.$queryRawUnsafe<{ wal_autocheckpoint: number }[]>("PRAGMA wal_autocheckpoint");
    expect(Number(row!.wal_autocheckpoint)).toBe(0);
    // ~100 pages into the log: far below the 1000 at which SQLite would checkpoint by itself,
    // so only the background checkpoint moves them into the file (which holds the rows'
    // 400 kB only then), within a couple of seconds.
    await scratch.db.$executeRawUnsafe(`CREATE TABLE "WalProbe" ("id" INTEGER PRIMARY KEY, "text" TEXT)`);
    const text = "x".repeat(4000);
    for (let i = 0; i < 100; i++) await scratch.db.$executeRawUnsafe(`INSERT INTO "WalProbe" ("id", "text") VALUES (?, ?)`, i, text);
    expect(Bun.file(file).size).toBeLessThan(100 * 4000);
    const deadline = performance.now() + 5000;
    while (Bun.file(file).size < 100 * 4000 && performance.now() < deadline) await Bun.sleep(100);
    expect(Bun.file(file).size).toBeGreaterThanOrEqual(100 * 4000);
  } finally {
    await scratch.close();
    rmSync(root, { recursive: true, force: true });
  }
}, 15000);
