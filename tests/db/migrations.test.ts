import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../server/src/db/client.ts";
import { applyMigrations, listMigrations, statementsOf } from "../../server/src/db/migrate.ts";
import { freshDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(() => database.drop());

test("applying again is a no-op: every migration is recorded once", async () => {
  expect(await applyMigrations(database.db, database.provider)).toEqual([]);
  const rows = await database.db.$queryRawUnsafe<{ name: string }[]>("SELECT name FROM _aiui_migrations ORDER BY name");
  expect(rows.map((r) => r.name)).toEqual(listMigrations(database.provider).map((m) => m.name));
});

test("a migration edited after it was applied stops start-up", async () => {
  const [first] = listMigrations(database.provider);
  await database.db.$executeRawUnsafe(
    database.provider === "postgresql"
      ? `UPDATE _aiui_migrations SET checksum = 'tampered' WHERE name = $1`
      : `UPDATE _aiui_migrations SET checksum = 'tampered' WHERE name = ?`,
    first!.name,
  );
  await expect(applyMigrations(database.db, database.provider)).rejects.toThrow(`Migration ${first!.name} was changed after it was applied`);
});

test("statements split on semicolons at line ends, comments dropped", () => {
  expect(statementsOf("-- CreateTable\nCREATE TABLE a (x TEXT DEFAULT ';');\n\n-- Index\nCREATE INDEX i ON a(x);\n")).toEqual([
    "CREATE TABLE a (x TEXT DEFAULT ';')",
    "CREATE INDEX i ON a(x)",
  ]);
});

test("a SQLite migration that rebuilds a parent table keeps its children's rows", async () => {
  if (database.provider !== "sqlite") return; // the table-rebuild pattern is SQLite's alone
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
