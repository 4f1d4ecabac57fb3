/**
 * The session a cookie names and its user, in one statement. Prisma reads a relation with a
 * second statement (no relation joins on SQLite), and a session unknown to the instance
 * (after a restart, or started by another instance) would then cost two before the request's
 * own work: issue 13's budget for `viewer + chats` is two statements, the lookup included.
 * Read with the unfenced client: who is asking is not known yet (identity.ts).
 *
 * Every column of User is listed in USER_COLUMNS with how its raw value becomes what Prisma
 * returns, so a column added to the schema fails the type check here until it is read too;
 * tests/accounts/session-read.test.ts compares the row with Prisma's on every database.
 */
import type { Db } from "../db/client.ts";
import { Prisma, type Role, type User } from "../db/generated/sqlite/client.ts";
import type { DatabaseProvider } from "../env.ts";

export interface SessionRow {
  id: string;
  userId: string;
  expiresAt: Date;
  createdAt: Date;
  lastSeenAt: Date | null;
}

const text = (value: unknown) => String(value);
const optionalText = (value: unknown) => (value == null ? null : String(value));
const date = (value: unknown) => (value instanceof Date ? value : new Date(value as string | number));
const optionalDate = (value: unknown) => (value == null ? null : date(value));
/** MySQL has no boolean type: TINYINT(1) reads as 0 or 1. */
const bool = (value: unknown) => value === true || value === 1 || value === 1n || value === "1";
const optionalDecimal = (value: unknown) => (value == null ? null : Prisma.Decimal.isDecimal(value) ? (value as Prisma.Decimal) : new Prisma.Decimal(String(value)));

const USER_COLUMNS: { [Column in keyof User]-?: (value: unknown) => User[Column] } = {
  id: text,
  email: text,
  passwordHash: text,
  displayName: text,
  role: (value) => String(value) as Role,
  createdAt: date,
  updatedAt: date,
  memoryEnabled: bool,
  defaultModelId: optionalText,
  theme: text,
  deactivatedAt: optionalDate,
  monthlyBudget: optionalDecimal,
};

const SESSION_COLUMNS = ["id", "userId", "expiresAt", "createdAt", "lastSeenAt"] as const;

export type SessionReader = (tokenHash: string) => Promise<{ session: SessionRow; user: User } | null>;

export function sessionReader(rootDb: Db, provider: DatabaseProvider): SessionReader {
  const q = (name: string) => (provider === "mysql" ? `\`${name}\`` : `"${name}"`);
  // MySQL's byte-exact columns (utf8mb4_bin, decision 0016) come back as bytes unless converted.
  const userColumn = (name: string) =>
    provider === "mysql" && name === "email" ? `CONVERT(${q("u")}.${q(name)} USING utf8mb4) AS ${q(`user_${name}`)}` : `${q("u")}.${q(name)} AS ${q(`user_${name}`)}`;
  const sql =
    `SELECT ${SESSION_COLUMNS.map((name) => `${q("s")}.${q(name)} AS ${q(`session_${name}`)}`).join(", ")}, ` +
    `${Object.keys(USER_COLUMNS).map(userColumn).join(", ")} ` +
    `FROM ${q("Session")} AS ${q("s")} JOIN ${q("User")} AS ${q("u")} ON ${q("u")}.${q("id")} = ${q("s")}.${q("userId")} ` +
    `WHERE ${q("s")}.${q("tokenHash")} = ${provider === "postgresql" ? "$1" : "?"}`;

  return async (tokenHash) => {
    const [row] = await rootDb.$queryRawUnsafe<Record<string, unknown>[]>(sql, tokenHash);
    if (!row) return null;
    const user = Object.fromEntries(Object.entries(USER_COLUMNS).map(([name, read]) => [name, read(row[`user_${name}`])])) as User;
    return {
      session: {
        id: text(row.session_id),
        userId: text(row.session_userId),
        expiresAt: date(row.session_expiresAt),
        createdAt: date(row.session_createdAt),
        lastSeenAt: optionalDate(row.session_lastSeenAt),
      },
      user,
    };
  };
}
