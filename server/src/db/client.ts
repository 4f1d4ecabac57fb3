/**
 * Opens the Prisma client generated for the configured provider. The three clients
 * share one schema, so they share one TypeScript API; `Db` is typed from the SQLite
 * one (see docs/decisions/0001-one-schema-three-databases.md).
 *
 * Nothing waits on the database for long: the drivers bound connecting and waiting for a
 * pooled connection by `timeoutMs` (DATABASE_TIMEOUT_MS), PostgreSQL also statements, SQLite
 * its wait for a locked file, and every operation races a timer a little longer than that,
 * for what a driver cannot bound (a server that froze mid-answer, a MySQL statement). A failure that means "the database is not there"
 * becomes one DatabaseUnavailable (UNAVAILABLE, 503) and one log line with its cause.
 */
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { DatabaseProvider } from "../env.ts";
import { DatabaseUnavailable } from "../errors.ts";
import type { PrismaClient } from "./generated/sqlite/client.ts";
import { PrismaBunSqlite } from "./bun-sqlite.ts";
import { observedAdapter, type StatementObserver } from "./observe.ts";
import { DatabaseTimeout, unavailabilityOf } from "./unavailable.ts";

export type Db = PrismaClient;

export interface Database {
  db: Db;
  provider: DatabaseProvider;
  close(): Promise<void>;
}

export const DEFAULT_DATABASE_TIMEOUT_MS = 5000;
/** The race gives the drivers' own limits this long to report first: their reasons are more precise. */
const RACE_MARGIN_MS = 1000;
/**
 * SQLite waits for a busy file synchronously, holding up the whole server while it waits,
 * so it waits at most this long (less than the other drivers' statement limit).
 */
const SQLITE_MAX_BUSY_WAIT_MS = 1000;

export interface DatabaseOptions {
  /** Limit for statements, connecting and pool waits, in ms; 0 for none (migrations). */
  timeoutMs?: number;
  /** Where "database unavailable" goes, one line per failed operation. */
  log?: (line: string) => void;
  /** Sees every statement and commit sent (statement budgets' tests, benchmarks). */
  observer?: StatementObserver;
}

export async function openDatabase(url: string, provider: DatabaseProvider, options: DatabaseOptions = {}): Promise<Database> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  const log = options.log ?? ((line: string) => console.error(`[aiui] ${line}`));
  const client = await createClient(url, provider, timeoutMs, options.observer);
  if (provider === "sqlite" && !url.includes(":memory:")) {
    // Write-ahead log: a commit appends to the log instead of rewriting pages through a
    // rollback journal, several times faster per write (streaming replies checkpoint their
    // text), and readers do not wait for writers. It is a property of the file. Backups must copy aiui.db-wal with aiui.db
    // (or use `sqlite3 aiui.db ".backup copy.db"`). Opening stays lazy: a file that cannot be
    // opened is reported by the first query (and /healthz), not here.
    await client.$queryRawUnsafe("PRAGMA journal_mode = WAL").catch(() => {});
  }
  const db = timeoutMs > 0 ? answeringWithin(client, timeoutMs + RACE_MARGIN_MS, log) : client;
  return { db, provider, close: () => client.$disconnect() };
}

/**
 * Every operation (model queries and raw SQL, in and out of transactions) either answers
 * within `limitMs` or fails; unavailability becomes DatabaseUnavailable, logged once.
 */
function answeringWithin(db: Db, limitMs: number, log: (line: string) => void): Db {
  return db.$extends({
    name: "database-unavailable",
    query: {
      async $allOperations({ model, operation, args, query }) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const running = Promise.resolve(query(args));
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DatabaseTimeout(limitMs)), limitMs);
        });
        try {
          return await Promise.race([running, late]);
        } catch (error) {
          const reason = unavailabilityOf(error);
          if (reason === null) throw error;
          // The abandoned statement may still fail later; that is already reported.
          running.catch(() => {});
          log(`database unavailable: ${reason} (${model ? `${model}.` : ""}${operation})`);
          throw new DatabaseUnavailable(reason);
        } finally {
          clearTimeout(timer);
        }
      },
    },
  }) as unknown as Db;
}

async function createClient(url: string, provider: DatabaseProvider, timeoutMs: number, observer?: StatementObserver): Promise<Db> {
  // "minimal": an unexpected error's message is Prisma's sentence, not a code frame of the caller.
  const errorFormat = "minimal" as const;
  const observed = <F extends SqlDriverAdapterFactory>(factory: F): F => (observer ? observedAdapter(factory, observer) : factory);
  switch (provider) {
    case "sqlite": {
      const { PrismaClient } = await import("./generated/sqlite/client.ts");
      return new PrismaClient({ adapter: observed(sqliteAdapter(url, timeoutMs)), errorFormat });
    }
    case "postgresql": {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      const { PrismaClient } = await import("./generated/postgresql/client.ts");
      const limits =
        timeoutMs > 0
          ? {
              // The server cancels a statement past the limit (SQLSTATE 57014)…
              statement_timeout: timeoutMs,
              // …and the client gives up on a server that stopped answering altogether.
              query_timeout: timeoutMs + RACE_MARGIN_MS / 2,
              // Connecting, and waiting for a free connection in the pool.
              connectionTimeoutMillis: timeoutMs,
            }
          : {};
      const pool = await preparingPool({ connectionString: url, ...limits });
      return new PrismaClient({ adapter: observed(new PrismaPg(pool, { disposeExternalPool: true })), errorFormat }) as unknown as Db;
    }
    case "mysql": {
      const { PrismaMariaDb } = await import("@prisma/adapter-mariadb");
      const { PrismaClient } = await import("./generated/mysql/client.ts");
      return new PrismaClient({ adapter: observed(new PrismaMariaDb(mariadbConfig(url, timeoutMs))), errorFormat }) as unknown as Db;
    }
  }
}

/**
 * SQLite through Bun's built-in driver (db/bun-sqlite.ts; libsql before, see
 * docs/decisions/0014-performance.md). Its one connection is set up once:
 * - busy_timeout: a file another process has locked is waited for this long, synchronously.
 * - synchronous = NORMAL: in WAL mode a commit then appends to the log without waiting for
 *   the disk; the log is synced at checkpoints. A crash of AIUI loses nothing; a power cut
 *   or OS crash may lose the last commits (never the file's integrity). FULL made every
 *   commit wait ~5 ms for fsync on the event loop. See docs/decisions/0011-sqlite-durability.md.
 * - foreign_keys = ON, as libsql had it (cascades are the database's).
 */
function sqliteAdapter(url: string, timeoutMs: number) {
  return new PrismaBunSqlite({ url, busyTimeoutMs: timeoutMs > 0 ? Math.min(timeoutMs, SQLITE_MAX_BUSY_WAIT_MS) : 0 });
}

/** Named (prepared) statements a PostgreSQL connection keeps at most; past that, statements go unnamed. */
const PREPARED_PER_CONNECTION = 500;
const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;

/**
 * A node-postgres pool whose connections prepare each statement once: Prisma sends the same
 * SQL text again and again, and a named statement is parsed and planned by the server on
 * its first use on a connection only (node-postgres remembers the names it prepared). Names
 * come from the text, so one name never stands for two statements.
 */
async function preparingPool(config: import("pg").PoolConfig) {
  const { Pool } = await import("pg");
  const pool = new Pool(config);
  pool.on("connect", (client) => {
    const prepared = new Set<string>();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (statement: unknown, ...rest: unknown[]) => {
      const text = (statement as { text?: unknown } | null)?.text;
      if (typeof text === "string" && !(statement as { name?: unknown }).name && PREPARABLE.test(text)) {
        const name = `aiui_${Bun.hash(text).toString(36)}`;
        if (prepared.has(name) || prepared.size < PREPARED_PER_CONNECTION) {
          prepared.add(name);
          return query({ ...(statement as object), name }, ...rest);
        }
      }
      return query(statement, ...rest);
    };
  });
  return pool;
}

/**
 * The mariadb driver wants its own URL scheme; accept the mysql:// form users know. Limits:
 * connecting and waiting for a pooled connection; a statement is bounded by the race in
 * answeringWithin() only. No server-side statement limit is set per connection: the driver
 * the Prisma adapter bundles (mariadb 3.4) leaves the rejection of a failed connection-setup
 * query unhandled, which ends a Bun process, and a connection dropped while it runs its
 * `initSql` or `queryTimeout` SET (a database restarting) would do exactly that. Set
 * max_statement_time (MariaDB) or max_execution_time (MySQL) on the server to have long
 * statements cancelled there too.
 */
function mariadbConfig(url: string, timeoutMs: number): string {
  let driverUrl = url.replace(/^mysql:/, "mariadb:");
  if (timeoutMs <= 0) return driverUrl;
  const limits: Record<string, string> = { connectTimeout: String(timeoutMs), acquireTimeout: String(timeoutMs) };
  const query = driverUrl.split("?")[1] ?? "";
  for (const [option, value] of Object.entries(limits)) {
    if (new RegExp(`(^|&)${option}=`).test(query)) continue;
    driverUrl += `${driverUrl.includes("?") ? "&" : "?"}${option}=${encodeURIComponent(value)}`;
  }
  return driverUrl;
}
