/**
 * "Your account": change one's email (asks for the password), change one's password (asks for
 * the current one; signs out every other session), list one's sessions and sign out any or all
 * of the others. `db` is the caller's fenced client: the user row is the fence's "self", and
 * sessions are owned, so nothing here can reach another user's rows.
 */
import type { Db } from "../db/client.ts";
import type { Session, User } from "../db/generated/sqlite/client.ts";
import { hashToken } from "../crypto/tokens.ts";
import { isUniqueViolation } from "../db/races.ts";
import { AppError, invalidInput, notFound } from "../errors.ts";
import { checkNewPassword } from "./passwords.ts";
import type { AttemptLimiter } from "./rate-limit.ts";
import { describeUserAgent } from "./user-agent.ts";
import { normalizeEmail } from "./validation.ts";

/**
 * Checks the account's current password. Wrong answers count against the account's sign-in
 * limit, so a borrowed session cannot be used to guess the password faster than sign-in can.
 */
async function verifyCurrentPassword(limiter: AttemptLimiter, user: User, password: string, field: string): Promise<void> {
  const key = `account:${user.email}`;
  const waitMs = limiter.retryAfterMs(key);
  if (waitMs > 0) {
    const minutes = Math.ceil(waitMs / 60_000);
    throw new AppError("RATE_LIMITED", `Too many wrong passwords. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
  }
  if (!(await Bun.password.verify(password, user.passwordHash))) {
    limiter.recordFailure(key);
    throw invalidInput(field, "That is not your current password.");
  }
}

async function ownUser(db: Db, userId: string): Promise<User> {
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  return user;
}

export async function changeEmail(db: Db, limiter: AttemptLimiter, userId: string, input: { newEmail: string; password: string }): Promise<User> {
  const user = await ownUser(db, userId);
  let email: string;
  try {
    email = normalizeEmail(input.newEmail);
  } catch (error) {
    throw error instanceof AppError ? new AppError(error.code, error.message, "newEmail") : error;
  }
  await verifyCurrentPassword(limiter, user, input.password, "password");
  if (email === user.email) return user;
  const taken = () => new AppError("CONFLICT", "Another account already uses this email.", "newEmail");
  return db.user.update({ where: { id: userId }, data: { email } }).catch((error) => {
    throw isUniqueViolation(error) ? taken() : error;
  });
}

/** Returns the ids of the other sessions it signed out. */
export async function changePassword(
  db: Db,
  limiter: AttemptLimiter,
  userId: string,
  currentSessionToken: string | null,
  input: { currentPassword: string; newPassword: string },
): Promise<{ user: User; endedSessionIds: string[] }> {
  const user = await ownUser(db, userId);
  await verifyCurrentPassword(limiter, user, input.currentPassword, "currentPassword");
  let password: string;
  try {
    password = checkNewPassword(input.newPassword, user);
  } catch (error) {
    throw error instanceof AppError ? new AppError(error.code, error.message, "newPassword") : error;
  }
  if (password === input.currentPassword) throw invalidInput("newPassword", "Choose a new password that differs from the current one.");
  const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id" });
  const updated = await db.user.update({ where: { id: userId }, data: { passwordHash } });
  const endedSessionIds = await endOtherSessions(db, currentSessionToken);
  return { user: updated, endedSessionIds };
}

export interface SessionView {
  id: string;
  /** "Firefox on Windows". */
  device: string;
  browser: string | null;
  system: string | null;
  clientAddress: string;
  signedInAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

function viewOf(session: Session, currentHash: string | null): SessionView {
  const { browser, system, label } = describeUserAgent(session.userAgent);
  return {
    id: session.id,
    device: label,
    browser,
    system,
    clientAddress: session.clientAddress,
    signedInAt: session.createdAt,
    lastSeenAt: session.lastSeenAt ?? session.createdAt,
    current: session.tokenHash === currentHash,
  };
}

/** The caller's live sessions, this one first, then the most recently seen. */
export async function listSessions(db: Db, currentSessionToken: string | null): Promise<SessionView[]> {
  const currentHash = currentSessionToken ? hashToken(currentSessionToken) : null;
  const sessions = await db.session.findMany({ where: { expiresAt: { gt: new Date() } } });
  return sessions
    .map((session) => viewOf(session, currentHash))
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || a.id.localeCompare(b.id));
}

/** Ends one of the caller's sessions (NOT_FOUND for any other id); returns its id. */
export async function endSession(db: Db, sessionId: string): Promise<string> {
  const { count } = await db.session.deleteMany({ where: { id: sessionId } });
  if (count === 0) throw notFound("Session");
  return sessionId;
}

/** Ends every session of the caller but the one making the request; returns their ids. */
export async function endOtherSessions(db: Db, currentSessionToken: string | null): Promise<string[]> {
  const keep = currentSessionToken ? hashToken(currentSessionToken) : null;
  const others = await db.session.findMany({ where: keep ? { tokenHash: { not: keep } } : {}, select: { id: true } });
  if (others.length === 0) return [];
  await db.session.deleteMany({ where: { id: { in: others.map((s) => s.id) } } });
  return others.map((s) => s.id);
}
