/**
 * Opens the Prisma client generated for the configured provider. The three clients
 * share one schema, so they share one TypeScript API; `Db` is typed from the SQLite
 * one (see docs/decisions/0001-one-schema-three-databases.md).
 */
import type { DatabaseProvider } from "../env.ts";
import type { PrismaClient } from "./generated/sqlite/client.ts";

export type Db = PrismaClient;

export interface Database {
  db: Db;
  provider: DatabaseProvider;
  close(): Promise<void>;
}

export async function openDatabase(url: string, provider: DatabaseProvider): Promise<Database> {
  const db = await createClient(url, provider);
  if (provider === "sqlite" && !url.includes(":memory:")) {
    // Write-ahead log: a commit appends to the log instead of rewriting pages through a
    // rollback journal, several times faster per write (streaming replies checkpoint their
    // text), and readers do not wait for writers. It is a property of the file, so it
    // survives libsql opening new connections. Backups must copy aiui.db-wal with aiui.db
    // (or use `sqlite3 aiui.db ".backup copy.db"`). Opening stays lazy: a file that cannot be
    // opened is reported by the first query (and /healthz), not here.
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL").catch(() => {});
  }
  return { db, provider, close: () => db.$disconnect() };
}

async function createClient(url: string, provider: DatabaseProvider): Promise<Db> {
  switch (provider) {
    case "sqlite": {
      const { PrismaLibSQL } = await import("@prisma/adapter-libsql");
      const { PrismaClient } = await import("./generated/sqlite/client.ts");
      return new PrismaClient({ adapter: new PrismaLibSQL({ url }) });
    }
    case "postgresql": {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      const { PrismaClient } = await import("./generated/postgresql/client.ts");
      return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
    }
    case "mysql": {
      const { PrismaMariaDb } = await import("@prisma/adapter-mariadb");
      const { PrismaClient } = await import("./generated/mysql/client.ts");
      return new PrismaClient({ adapter: new PrismaMariaDb(mariadbConfig(url)) }) as unknown as Db;
    }
  }
}

/** The mariadb driver wants its own URL scheme; accept the mysql:// form users know. */
function mariadbConfig(url: string): string {
  return url.replace(/^mysql:/, "mariadb:");
}
