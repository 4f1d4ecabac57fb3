/**
 * Tells "the database is not there" (down, unreachable, too slow, out of connections, full,
 * read-only) from every other database error, on the three drivers, and says why in a few
 * words for the log. Those failures are the operator's business, not the user's: they become
 * one DatabaseUnavailable (UNAVAILABLE, HTTP 503) and one log line, not an INTERNAL error
 * with Prisma's message dump.
 */

/** Our own limit on a statement, for drivers that cannot bound one themselves (a frozen server). */
export class DatabaseTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "DatabaseTimeout";
  }
}

/** PostgreSQL SQLSTATEs (and classes) that mean the server cannot serve us now. */
const POSTGRES_STATES: Record<string, string> = {
  "57014": "statement timeout",
  "57P01": "the server ended the session (shutdown or pg_terminate_backend)",
  "57P02": "server crashed",
  "57P03": "server not accepting connections yet",
  "55P03": "lock wait timeout",
  "53000": "server out of resources",
  "53100": "disk full",
  "53200": "server out of memory",
  "53300": "too many connections",
  "53400": "configuration limit exceeded",
  "25006": "read-only transaction",
  "58030": "server I/O error",
};

/** MySQL / MariaDB server errors and the mariadb connector's own client errors. */
const MYSQL_CODES: Record<number, string> = {
  1969: "statement timeout",
  3024: "statement timeout",
  1205: "lock wait timeout",
  1040: "too many connections",
  1021: "disk full",
  1114: "table full",
  1290: "server is read-only",
  1836: "server is read-only",
  1792: "read-only transaction",
  2002: "cannot connect",
  2003: "cannot connect",
  2006: "server has gone away",
  2013: "lost connection during query",
  45001: "connection closed",
  45009: "connection closed unexpectedly",
  45012: "connection timeout",
  45013: "connection closed",
  45019: "socket error",
  45026: "socket timeout",
  45027: "pool closed",
  45028: "no pooled connection free in time",
};

/** SQLite primary result codes (the low byte of an extended code). */
const SQLITE_CODES: Record<number, string> = {
  5: "database is locked (SQLITE_BUSY)",
  6: "table is locked (SQLITE_LOCKED)",
  8: "database is read-only (SQLITE_READONLY)",
  10: "disk I/O error (SQLITE_IOERR)",
  13: "disk full (SQLITE_FULL)",
  14: "cannot open the database file (SQLITE_CANTOPEN)",
};

/** Driver adapter error kinds (Prisma's own mapping of driver errors). */
const ADAPTER_KINDS: Record<string, string> = {
  DatabaseNotReachable: "cannot reach the database server",
  ConnectionClosed: "connection closed",
  SocketTimeout: "socket timeout",
  TooManyConnections: "too many connections",
};

/** Prisma's error codes for the same situations. */
const PRISMA_CODES: Record<string, string> = {
  P1001: "cannot reach the database server",
  P1002: "database server timed out",
  P1008: "operation timed out",
  P1017: "server closed the connection",
  P2024: "no pooled connection free in time",
  P2037: "too many connections",
};

const SOCKET_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ConnectionRefused: "connection refused",
  ECONNRESET: "connection reset",
  ConnectionClosed: "connection closed",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection broken",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "database host not found",
  EAI_AGAIN: "database host not found",
};

/** Driver messages without a code: node-postgres' pool and client, libsql's open. */
const MESSAGES: [RegExp, string][] = [
  [/Query read timeout/i, "no answer within the query timeout"],
  [/timeout exceeded when trying to connect|connection timeout/i, "connection timeout"],
  [/Connection terminated/i, "connection terminated"],
  [/not queryable/i, "connection broken"],
  [/pool is (ending|closed)/i, "connection pool closing"],
  [/not currently accepting connections/i, "database not accepting connections"],
  [/Failed to connect to database|unable to open database file/i, "cannot open the database file"],
  [/database is locked/i, "database is locked (SQLITE_BUSY)"],
  [/readonly database/i, "database is read-only"],
  [/database or disk is full/i, "disk full"],
];

function messageReason(message: unknown): string | null {
  if (typeof message !== "string") return null;
  for (const [pattern, reason] of MESSAGES) if (pattern.test(message)) return reason;
  return null;
}

interface Clue {
  code?: unknown;
  kind?: unknown;
  originalMessage?: unknown;
  extendedCode?: unknown;
  originalCode?: unknown;
  state?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

/** The error, its causes and the driver error Prisma wrapped in it, nearest first. */
function cluesOf(error: unknown): Clue[] {
  const clues: Clue[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && clues.length < 8) {
    const next = pending.shift();
    if (!next || typeof next !== "object" || clues.includes(next as Clue)) continue;
    const clue = next as Clue;
    clues.push(clue);
    pending.push(clue.meta?.driverAdapterError, clue.cause);
  }
  return clues;
}

function reasonOf(clue: Clue): string | null {
  if (clue instanceof DatabaseTimeout) return clue.message;
  const { code, kind } = clue;
  // Prisma's adapters fold several driver errors into one kind (libsql: SQLITE_BUSY is a
  // "SocketTimeout"); the driver's own message says which.
  if (typeof kind === "string" && ADAPTER_KINDS[kind]) return messageReason(clue.originalMessage) ?? ADAPTER_KINDS[kind];
  if (typeof code === "string") {
    if (PRISMA_CODES[code]) return `${PRISMA_CODES[code]} (${code})`;
    if (SOCKET_CODES[code]) return `${SOCKET_CODES[code]} (${code})`;
    if (kind === "postgres") {
      if (POSTGRES_STATES[code]) return `${POSTGRES_STATES[code]} (${code})`;
      if (code.startsWith("08")) return `connection failure (${code})`;
    }
  }
  if (kind === "mysql") {
    const number = Number(code);
    if (MYSQL_CODES[number]) return `${MYSQL_CODES[number]} (${number})`;
    if (typeof clue.state === "string" && clue.state.startsWith("08")) return `connection failure (${clue.state})`;
  }
  if (kind === "sqlite" && typeof clue.extendedCode === "number") {
    const primary = clue.extendedCode & 0xff;
    if (SQLITE_CODES[primary]) return SQLITE_CODES[primary];
  }
  return null;
}

/** Why the database could not serve this, in a few words for the log; null for any other error. */
export function unavailabilityOf(error: unknown): string | null {
  // The driver's own error (deepest) says most precisely what happened; Prisma's wrapper least.
  const clues = cluesOf(error).reverse();
  for (const clue of clues) {
    const reason = reasonOf(clue);
    if (reason) return reason;
  }
  // Some driver failures carry only a message (node-postgres' pool, libsql's open): the outermost says most.
  for (const clue of clues.reverse()) {
    const reason = messageReason(clue.message);
    if (reason) return reason;
  }
  return null;
}
