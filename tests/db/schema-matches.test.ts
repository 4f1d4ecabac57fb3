/**
 * The migrations of the provider under test produce exactly the tables and columns
 * the Prisma schema describes. This matters most for MySQL, whose migrations are
 * written by hand (docs/decisions/0001-one-schema-three-databases.md).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { getDatamodel } from "../../server/src/db/generated/pothos-types.ts";
import { freshDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(() => database.drop());

interface Column {
  name: string;
  nullable: boolean;
}

async function columnsOf(table: string): Promise<Column[]> {
  const { db, provider } = database;
  if (provider === "sqlite") {
    const rows = await db.$queryRawUnsafe<{ name: string; notnull: number | bigint; pk: number | bigint }[]>(`PRAGMA table_info("${table}")`);
    return rows.map((r) => ({ name: r.name, nullable: Number(r.notnull) === 0 && Number(r.pk) === 0 }));
  }
  const schemaFilter = provider === "postgresql" ? "table_schema = current_schema()" : "table_schema = database()";
  const rows = await db.$queryRawUnsafe<{ name: string; nullable: string }[]>(
    `SELECT CAST(column_name AS CHAR(191)) AS name, CAST(is_nullable AS CHAR(3)) AS nullable FROM information_schema.columns WHERE ${schemaFilter} AND table_name = '${table}'`,
  );
  return rows.map((r) => ({ name: r.name.trim(), nullable: r.nullable.trim() === "YES" }));
}

test("every model's table has exactly its scalar fields, with the schema's nullability", async () => {
  const { models } = getDatamodel().datamodel;
  for (const [name, model] of Object.entries(models)) {
    const expected = model.fields
      .filter((f) => f.kind === "scalar" || f.kind === "enum")
      .map((f) => ({ name: f.name, nullable: !f.isRequired }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const actual = (await columnsOf(name)).sort((a, b) => a.name.localeCompare(b.name));
    expect({ table: name, columns: actual }).toEqual({ table: name, columns: expected });
  }
});

test("the indexes for 'latest chats of a user' and 'last messages of a chat' exist", async () => {
  const { db, provider } = database;
  const indexNames =
    provider === "sqlite"
      ? (await db.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM sqlite_master WHERE type = 'index'`)).map((r) => r.name)
      : provider === "postgresql"
        ? (await db.$queryRawUnsafe<{ name: string }[]>(`SELECT indexname::text AS name FROM pg_indexes WHERE schemaname = current_schema()`)).map((r) => r.name)
        : (await db.$queryRawUnsafe<{ name: string }[]>(`SELECT DISTINCT CAST(index_name AS CHAR(191)) AS name FROM information_schema.statistics WHERE table_schema = database()`)).map((r) => r.name);
  expect(indexNames).toContain("Chat_userId_updatedAt_id_idx");
  expect(indexNames).toContain("Message_chatId_createdAt_id_idx");
});

test("columns marked `// exact-bytes` in schema.prisma compare bytes (MySQL: utf8mb4_bin; the others compare bytes by default)", async () => {
  const source = await Bun.file(new URL("../../prisma/schema.prisma", import.meta.url)).text();
  const marked: { table: string; column: string }[] = [];
  let table = "";
  for (const line of source.split("\n")) {
    table = /^model (\w+) \{/.exec(line)?.[1] ?? table;
    const column = /^\s+(\w+)\s+String\??.*\/\/ exact-bytes\s*$/.exec(line)?.[1];
    if (column) marked.push({ table, column });
  }
  expect(marked).toContainEqual({ table: "User", column: "email" });
  const { db, provider } = database;
  for (const { table, column } of marked) {
    if (provider === "mysql") {
      const [row] = await db.$queryRawUnsafe<{ collation: string }[]>(
        `SELECT CAST(collation_name AS CHAR(64)) AS collation FROM information_schema.columns WHERE table_schema = database() AND table_name = '${table}' AND column_name = '${column}'`,
      );
      expect({ table, column, collation: row?.collation }).toEqual({ table, column, collation: "utf8mb4_bin" });
    }
  }
});
