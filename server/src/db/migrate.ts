/**
 * Applies the committed SQL migrations of one provider (prisma/migrations/<provider>/)
 * in name order, recording each in `_aiui_migrations`. Our own runner rather than
 * `prisma migrate deploy`: Prisma's offline engine has no MySQL, and one runner for
 * three databases keeps start-up free of the Prisma CLI. A changed, already-applied
 * migration stops start-up (its checksum no longer matches).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DatabaseProvider } from "../env.ts";
import type { Db } from "./client.ts";

export const MIGRATIONS_ROOT = resolve(import.meta.dir, "../../../prisma/migrations");

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(provider: DatabaseProvider, root = MIGRATIONS_ROOT): Migration[] {
  const dir = join(root, provider);
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "migration.sql")))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** Splits a migration into statements: each ends with `;` at the end of a line. */
export function statementsOf(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter((s) => s.length > 0);
}

const ledgerDdl: Record<DatabaseProvider, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_aiui_migrations" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TEXT NOT NULL)`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_aiui_migrations" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TEXT NOT NULL)`,
  mysql: "CREATE TABLE IF NOT EXISTS `_aiui_migrations` (`name` VARCHAR(191) PRIMARY KEY, `checksum` VARCHAR(64) NOT NULL, `appliedAt` VARCHAR(40) NOT NULL)",
};

const ledgerInsert: Record<DatabaseProvider, string> = {
  sqlite: `INSERT INTO "_aiui_migrations" ("name", "checksum", "appliedAt") VALUES (?, ?, ?)`,
  postgresql: `INSERT INTO "_aiui_migrations" ("name", "checksum", "appliedAt") VALUES ($1, $2, $3)`,
  mysql: "INSERT INTO `_aiui_migrations` (`name`, `checksum`, `appliedAt`) VALUES (?, ?, ?)",
};

/**
 * Prisma's SQLite migrations rebuild a table to change it, between PRAGMA foreign_keys=OFF
 * and ON. SQLite ignores that pragma inside a transaction, where the DROP of the old table
 * would cascade-delete its children's rows; such a migration runs outside one.
 */
function needsForeignKeysOff(provider: DatabaseProvider, sql: string): boolean {
  return provider === "sqlite" && /PRAGMA foreign_keys\s*=\s*OFF/i.test(sql);
}

export async function applyMigrations(
  db: Db,
  provider: DatabaseProvider,
  log: (line: string) => void = () => {},
  root = MIGRATIONS_ROOT,
): Promise<string[]> {
  await db.$executeRawUnsafe(ledgerDdl[provider]);
  const applied = new Map(
    (await db.$queryRawUnsafe<{ name: string; checksum: string }[]>("SELECT name, checksum FROM _aiui_migrations")).map((row) => [
      row.name,
      row.checksum,
    ]),
  );
  const done: string[] = [];
  for (const migration of listMigrations(provider, root)) {
    const previous = applied.get(migration.name);
    if (previous !== undefined) {
      if (previous !== migration.checksum) {
        throw new Error(`Migration ${migration.name} was changed after it was applied; restore it and add a new migration instead.`);
      }
      continue;
    }
    const statements = statementsOf(migration.sql);
    const record = (runner: Pick<Db, "$executeRawUnsafe">) =>
      runner.$executeRawUnsafe(ledgerInsert[provider], migration.name, migration.checksum, new Date().toISOString());
    if (provider === "mysql" || needsForeignKeysOff(provider, migration.sql)) {
      // MySQL commits DDL implicitly, so a transaction would protect nothing there.
      for (const statement of statements) await db.$executeRawUnsafe(statement);
      await record(db);
    } else {
      await db.$transaction(async (tx) => {
        for (const statement of statements) await tx.$executeRawUnsafe(statement);
        await record(tx);
      });
    }
    log(`applied migration ${migration.name}`);
    done.push(migration.name);
  }
  return done;
}
