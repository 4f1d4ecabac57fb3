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
