import { afterAll, beforeAll, expect, test } from "bun:test";
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
