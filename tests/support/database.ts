/**
 * A fresh, migrated database for one test file, on the provider the test run is for
 * (AIUI_TEST_DATABASE, set by tests/run.ts): a temp SQLite file, or a new database on
 * the PostgreSQL / MySQL server named by TEST_POSTGRES_URL / TEST_MYSQL_URL.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, openDatabase } from "../../server/src/db/client.ts";
import { applyMigrations, listMigrations, MIGRATIONS_ROOT } from "../../server/src/db/migrate.ts";
import type { DatabaseProvider } from "../../server/src/env.ts";

export interface TestDatabase extends Database {
  url: string;
  /** Disconnects and removes the database. */
  drop(): Promise<void>;
}

export function testProvider(): DatabaseProvider {
  const provider = process.env.AIUI_TEST_DATABASE ?? "sqlite";
  if (provider !== "sqlite" && provider !== "postgresql" && provider !== "mysql") {
    throw new Error(`AIUI_TEST_DATABASE must be sqlite, postgresql or mysql, not ${provider}`);
  }
  return provider;
}

function serverUrl(provider: "postgresql" | "mysql"): string {
  const name = provider === "postgresql" ? "TEST_POSTGRES_URL" : "TEST_MYSQL_URL";
  const url = process.env[name];
  if (!url) throw new Error(`${name} must name the ${provider} server for this test run`);
  return url;
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminExecute(provider: "postgresql" | "mysql", sql: string): Promise<void> {
  if (provider === "postgresql") {
    const { Client } = await import("pg");
    const client = new Client({ connectionString: serverUrl(provider) });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  } else {
    const mariadb = await import("mariadb");
    const connection = await mariadb.createConnection(serverUrl(provider).replace(/^mysql:/, "mariadb:"));
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  }
}

/** A copy of the provider's migrations folder holding only those that sort before `name`. */
function migrationsBefore(provider: DatabaseProvider, name: string): string {
  const root = mkdtempSync(join(tmpdir(), "aiui-migrations-"));
  for (const migration of listMigrations(provider).filter((m) => m.name < name)) {
    cpSync(join(MIGRATIONS_ROOT, provider, migration.name), join(root, provider, migration.name), { recursive: true });
  }
  return root;
}

/** Where a fresh database lives, and how to remove it once closed. */
async function createEmpty(provider: DatabaseProvider): Promise<{ url: string; remove(): Promise<void> }> {
  if (provider === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "aiui-test-"));
    return { url: `file:${join(dir, "test.db")}`, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `aiui_test_${randomBytes(6).toString("hex")}`;
  await adminExecute(provider, `CREATE DATABASE ${name}`);
  return {
    url: withDatabase(serverUrl(provider), name),
    remove: () => adminExecute(provider, provider === "postgresql" ? `DROP DATABASE ${name} WITH (FORCE)` : `DROP DATABASE ${name}`),
  };
}

/**
 * `migrationsBefore`: apply only the migrations whose folder name sorts before it (to test
 * a migration against data written by the schema before it).
 */
export async function freshDatabase(options: { migrationsBefore?: string } = {}): Promise<TestDatabase> {
  const provider = testProvider();
  const { url, remove } = await createEmpty(provider);
  const database = await openDatabase(url, provider);
  await applyMigrations(database.db, provider, () => {}, options.migrationsBefore ? migrationsBefore(provider, options.migrationsBefore) : undefined);
  return {
    ...database,
    url,
    async drop() {
      await database.close();
      await remove();
    },
  };
}
