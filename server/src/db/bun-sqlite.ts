/**
 * A Prisma driver adapter for Bun's built-in SQLite (`bun:sqlite`), used instead of libsql
 * (see docs/decisions/0014-performance.md): statements are prepared once and kept by SQL
 * text (Bun's statement cache), values are read without a native-to-JS row object, and one
 * connection stays open for good, so its settings (WAL, synchronous=NORMAL, busy timeout,
 * foreign keys) are set once. Per Prisma operation it takes 29–51% less time than libsql
 * (`bun run bench:sqlite-driver`).
 *
 * SQLite runs synchronously on the calling thread, as libsql did: a statement holds the event
 * loop for its own time, no longer. One connection serves everything; a transaction holds it
 * (other statements wait their turn, asynchronously) from BEGIN to COMMIT.
 *
 * Values are written as libsql wrote them (DateTime as ISO 8601 text with +00:00), so files
 * written by either read the same. Errors become the driver adapter's SQLite errors
 * ({kind: "sqlite", extendedCode}), which db/unavailable.ts reads.
 */
import { Database, type SQLQueryBindings, type Statement } from "bun:sqlite";
import {
  type ArgType,
  type ColumnType,
  ColumnTypeEnum,
  DriverAdapterError,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
} from "@prisma/driver-adapter-utils";
import { checkpointInBackground } from "./wal-checkpointer.ts";

const ADAPTER_NAME = "aiui-bun-sqlite";

export interface BunSqliteOptions {
  /** file:… URL or path; ":memory:" for a private in-memory database. */
  url: string;
  /** How long a statement waits for a file another process has locked (ms); 0: fails at once. */
  busyTimeoutMs: number;
}

function pathOf(url: string): string {
  const path = url.replace(/^file:(\/\/)?/, "");
  return path.split("?")[0]!;
}

function declaredType(declared: string | null): ColumnType | null {
  switch ((declared ?? "").toUpperCase()) {
    case "":
      return null;
    case "DECIMAL":
      return ColumnTypeEnum.Numeric;
    case "FLOAT":
      return ColumnTypeEnum.Float;
    case "DOUBLE":
    case "DOUBLE PRECISION":
    case "NUMERIC":
    case "REAL":
      return ColumnTypeEnum.Double;
    case "TINYINT":
    case "SMALLINT":
    case "MEDIUMINT":
    case "INT":
    case "INTEGER":
    case "SERIAL":
    case "INT2":
      return ColumnTypeEnum.Int32;
    case "BIGINT":
    case "UNSIGNED BIG INT":
    case "INT8":
      return ColumnTypeEnum.Int64;
    case "DATETIME":
    case "TIMESTAMP":
      return ColumnTypeEnum.DateTime;
    case "TIME":
      return ColumnTypeEnum.Time;
    case "DATE":
      return ColumnTypeEnum.Date;
    case "BLOB":
      return ColumnTypeEnum.Bytes;
    case "BOOLEAN":
      return ColumnTypeEnum.Boolean;
    case "JSONB":
      return ColumnTypeEnum.Json;
    default:
      // TEXT, VARCHAR… and anything unknown: text.
      return ColumnTypeEnum.Text;
  }
}

/** A column without a declared type (an expression): from its first non-null value. */
function inferredType(value: unknown): ColumnType {
  switch (typeof value) {
    case "string":
      return ColumnTypeEnum.Text;
    case "bigint":
      return ColumnTypeEnum.Int64;
    case "boolean":
      return ColumnTypeEnum.Boolean;
    case "number":
      return ColumnTypeEnum.UnknownNumber;
    default:
      return value instanceof Uint8Array ? ColumnTypeEnum.Bytes : ColumnTypeEnum.Text;
  }
}

function columnTypesOf(declared: (string | null)[], rows: unknown[][]): ColumnType[] {
  return declared.map((name, column) => {
    const type = declaredType(name);
    if (type !== null) return type;
    for (const row of rows) if (row[column] !== null) return inferredType(row[column]);
    return ColumnTypeEnum.Int32;
  });
}

function mapRow(row: unknown[], types: ColumnType[]): unknown[] {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (value === null || typeof value === "string") continue;
    if (value instanceof Uint8Array) row[i] = Array.from(value);
    else if (typeof value === "number") {
      if (types[i] === ColumnTypeEnum.DateTime) row[i] = new Date(value).toISOString();
      else if ((types[i] === ColumnTypeEnum.Int32 || types[i] === ColumnTypeEnum.Int64) && !Number.isInteger(value)) row[i] = Math.trunc(value);
    } else if (typeof value === "bigint") row[i] = types[i] === ColumnTypeEnum.DateTime ? new Date(Number(value)).toISOString() : value.toString();
  }
  return row;
}

function mapArg(arg: unknown, type: ArgType | undefined): SQLQueryBindings {
  if (arg === null || arg === undefined) return null;
  const scalar = type?.scalarType;
  if (typeof arg === "string") {
    if (scalar === "bigint") return BigInt(arg);
    if (scalar === "decimal") return Number.parseFloat(arg);
    if (scalar === "datetime") return new Date(arg).toISOString().replace("Z", "+00:00");
    if (scalar === "bytes") return Buffer.from(arg, "base64");
    return arg;
  }
  if (arg instanceof Date) return arg.toISOString().replace("Z", "+00:00");
  if (Array.isArray(arg) && scalar === "bytes") return new Uint8Array(arg);
  if (typeof arg === "boolean") return arg ? 1 : 0;
  return arg as SQLQueryBindings;
}

/** SQLite's extended result code of a failure, as bun:sqlite reports it (errno). */
function driverError(error: unknown): DriverAdapterError {
  if (error instanceof DriverAdapterError) return error;
  const { errno, message } = error as { errno?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : String(error);
  const code = typeof errno === "number" ? errno : 1;
  const fields = () => text.split("constraint failed: ").at(1)?.split(", ").map((field) => field.split(".").pop()!);
  switch (code) {
    case 2067:
    case 1555: {
      const names = fields();
      return new DriverAdapterError({ kind: "UniqueConstraintViolation", constraint: names ? { fields: names } : undefined, originalCode: String(code), originalMessage: text });
    }
    case 1299: {
      const names = fields();
      return new DriverAdapterError({ kind: "NullConstraintViolation", constraint: names ? { fields: names } : undefined, originalCode: String(code), originalMessage: text });
    }
    case 787:
    case 1811:
      return new DriverAdapterError({ kind: "ForeignKeyConstraintViolation", constraint: { foreignKey: {} }, originalCode: String(code), originalMessage: text });
    default:
      return new DriverAdapterError({ kind: "sqlite", extendedCode: code, message: text, originalCode: String(code), originalMessage: text });
  }
}

/** Statements wait here while a transaction holds the connection. */
class Turns {
  private tail: Promise<void> = Promise.resolve();
  private held = false;
  get busy() {
    return this.held;
  }
  async take(): Promise<() => void> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.held = true;
    return () => {
      this.held = false;
      release();
    };
  }
}

class Connection {
  private database: Database | null = null;
  private stopCheckpoints: (() => void) | null = null;
  readonly turns = new Turns();
  constructor(private readonly options: BunSqliteOptions) {}

  /** Opened on first use: a file that cannot be opened is reported by the first query (and /healthz), like libsql. */
  get db(): Database {
    if (this.database) return this.database;
    const path = pathOf(this.options.url);
    try {
      const database = new Database(path, { create: true, readwrite: true });
      if (this.options.busyTimeoutMs > 0) database.exec(`PRAGMA busy_timeout = ${Math.round(this.options.busyTimeoutMs)}`);
      database.exec("PRAGMA foreign_keys = ON");
      database.exec("PRAGMA synchronous = NORMAL");
      if (path !== ":memory:" && path !== "") {
        // The log is copied back into the file by a worker thread (wal-checkpointer.ts),
        // not by whichever commit takes it past 1000 pages, on the event loop.
        database.exec("PRAGMA wal_autocheckpoint = 0");
        this.stopCheckpoints = checkpointInBackground(path);
      }
      this.database = database;
      return database;
    } catch (error) {
      throw driverError(error);
    }
  }

  statement(sql: string): Statement {
    try {
      return this.db.query(sql);
    } catch (error) {
      throw driverError(error);
    }
  }

  query(query: SqlQuery): SqlResultSet {
    const statement = this.statement(query.sql);
    try {
      const rows = statement.values(...query.args.map((arg, i) => mapArg(arg, query.argTypes[i]))) as unknown[][];
      const columnTypes = columnTypesOf(statement.declaredTypes as (string | null)[], rows);
      return { columnNames: statement.columnNames, columnTypes, rows: rows.map((row) => mapRow(row, columnTypes)) };
    } catch (error) {
      throw driverError(error);
    }
  }

  execute(query: SqlQuery): number {
    const statement = this.statement(query.sql);
    try {
      return statement.run(...query.args.map((arg, i) => mapArg(arg, query.argTypes[i]))).changes;
    } catch (error) {
      throw driverError(error);
    }
  }

  exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (error) {
      throw driverError(error);
    }
  }

  close(): void {
    this.stopCheckpoints?.();
    this.stopCheckpoints = null;
    this.database?.close();
    this.database = null;
  }
}

class BunSqliteTransaction implements Transaction {
  readonly provider = "sqlite" as const;
  readonly adapterName = ADAPTER_NAME;
  // The adapter sends BEGIN itself; Prisma sends no transaction statements.
  readonly options = { usePhantomQuery: true };
  private done = false;
  constructor(
    private readonly connection: Connection,
    private readonly release: () => void,
  ) {}
  async queryRaw(query: SqlQuery) {
    return this.connection.query(query);
  }
  async executeRaw(query: SqlQuery) {
    return this.connection.execute(query);
  }
  async commit() {
    if (this.done) return;
    this.done = true;
    try {
      this.connection.exec("COMMIT");
    } finally {
      this.release();
    }
  }
  async rollback() {
    if (this.done) return;
    this.done = true;
    try {
      this.connection.exec("ROLLBACK");
    } catch {
      // Already rolled back by SQLite (a failed statement that ends the transaction).
    } finally {
      this.release();
    }
  }
}

class BunSqliteAdapter implements SqlDriverAdapter {
  readonly provider = "sqlite" as const;
  readonly adapterName = ADAPTER_NAME;
  constructor(private readonly connection: Connection) {}

  /** Outside a transaction a statement runs at once, unless a transaction holds the connection. */
  private async inTurn<T>(work: () => T): Promise<T> {
    if (!this.connection.turns.busy) return work();
    const release = await this.connection.turns.take();
    try {
      return work();
    } finally {
      release();
    }
  }
  queryRaw(query: SqlQuery) {
    return this.inTurn(() => this.connection.query(query));
  }
  executeRaw(query: SqlQuery) {
    return this.inTurn(() => this.connection.execute(query));
  }
  executeScript(script: string) {
    return this.inTurn(() => this.connection.exec(script));
  }
  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    if (isolationLevel && isolationLevel !== "SERIALIZABLE") throw new DriverAdapterError({ kind: "InvalidIsolationLevel", level: isolationLevel });
    const release = await this.connection.turns.take();
    try {
      this.connection.exec("BEGIN DEFERRED");
    } catch (error) {
      release();
      throw error;
    }
    return new BunSqliteTransaction(this.connection, release);
  }
  getConnectionInfo() {
    return { supportsRelationJoins: false };
  }
  async dispose() {
    this.connection.close();
  }
}

export class PrismaBunSqlite implements SqlDriverAdapterFactory {
  readonly provider = "sqlite" as const;
  readonly adapterName = ADAPTER_NAME;
  constructor(private readonly options: BunSqliteOptions) {}
  async connect(): Promise<SqlDriverAdapter> {
    return new BunSqliteAdapter(new Connection(this.options));
  }
}
