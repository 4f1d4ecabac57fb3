/**
 * Administrators acting on accounts: list and search, deactivate and reactivate, delete with
 * everything the account holds, make and remove administrators (never the last one), set a
 * monthly budget. Reached only through the gate in service.ts.
 */
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import { AppError, invalidInput, notFound } from "../errors.ts";
import { monthSpendByUser, readBudget } from "../usage/index.ts";

export const USERS_PAGE_MAX = 100;

export interface UsersQuery {
  search?: string | null;
  /** Rows after this user id (oldest account first). */
  afterId?: string | null;
  take: number;
  inverted?: boolean;
}

/** Accounts oldest first; `search` finds a part of the email or display name. */
export async function listUsers(db: Db, query: UsersQuery) {
  const search = query.search?.trim();
  if (search && search.length > 100) throw invalidInput("search", "Search for at most 100 characters.");
  const where = search ? { OR: [{ email: { contains: search.toLowerCase() } }, { displayName: { contains: search } }] } : {};
  const users = await db.user.findMany({
    where,
    orderBy: query.inverted ? [{ createdAt: "desc" }, { id: "desc" }] : [{ createdAt: "asc" }, { id: "asc" }],
    ...(query.afterId ? { cursor: { id: query.afterId }, skip: 1 } : {}),
    take: query.take,
  });
  return withUsage(db, users);
}

export async function countUsers(db: Db, search?: string | null): Promise<number> {
  const text = search?.trim();
  return db.user.count({ where: text ? { OR: [{ email: { contains: text.toLowerCase() } }, { displayName: { contains: text } }] } : {} });
}

async function withUsage(db: Db, users: User[]) {
  const usage = await monthSpendByUser(
    db,
    users.map((user) => user.id),
  );
  return users.map((user) => ({ ...user, monthUsage: usage.get(user.id) ?? { requests: 0, promptTokens: 0, completionTokens: 0, cost: 0 } }));
}
export type AdminUserView = Awaited<ReturnType<typeof withUsage>>[number];

async function target(db: Db, id: string): Promise<User> {
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw notFound("User");
  return user;
}

export async function userView(db: Db, id: string): Promise<AdminUserView> {
  return (await withUsage(db, [await target(db, id)]))[0]!;
}

const activeAdmins = (db: Db) => db.user.count({ where: { role: "ADMIN", deactivatedAt: null } });

/** Ends every session of the user; their access tokens stay but answer 401 while deactivated (accounts/identity.ts). */
export async function deactivateUser(db: Db, admin: User, id: string): Promise<void> {
  if (id === admin.id) throw new AppError("CONFLICT", "You cannot deactivate your own account; another administrator can.");
  await target(db, id);
  await db.$transaction([
    db.user.updateMany({ where: { id, deactivatedAt: null }, data: { deactivatedAt: new Date() } }),
    db.session.deleteMany({ where: { userId: id } }),
  ]);
}

export async function reactivateUser(db: Db, id: string): Promise<void> {
  await target(db, id);
  await db.user.update({ where: { id }, data: { deactivatedAt: null } });
}

/** Makes or removes an administrator; the server always keeps one active administrator. */
export async function setRole(db: Db, id: string, role: "ADMIN" | "MEMBER"): Promise<void> {
  const user = await target(db, id);
  if (user.role === role) return;
  await db.user.update({ where: { id }, data: { role } });
  // Checked after the write, so two administrators removing each other at once both stay.
  if (role === "MEMBER" && (await activeAdmins(db)) === 0) {
    await db.user.update({ where: { id }, data: { role: "ADMIN" } });
    throw new AppError("CONFLICT", "This is the last active administrator: make someone else an administrator first.");
  }
}

export async function setUserBudget(db: Db, id: string, amount: number | null | undefined): Promise<void> {
  await target(db, id);
  await db.user.update({ where: { id }, data: { monthlyBudget: readBudget("monthlyBudget", amount) } });
}

export interface DeletedAccount {
  email: string;
  chats: number;
  messages: number;
  models: number;
  memories: number;
  accessTokens: number;
  sessions: number;
  /** Shared models the account had defined: they stay, now the deleting administrator's. */
  sharedModelsKept: number;
}

/**
 * Deletes the account and everything it holds (chats with their messages and pictures,
 * models, memories, tokens, sessions, settings) once `confirmEmail` repeats its email.
 * Usage figures stay (they are the server's accounts), under the deleted user's id.
 */
export async function deleteUser(db: Db, admin: User, id: string, confirmEmail: string): Promise<DeletedAccount> {
  if (id === admin.id) throw new AppError("CONFLICT", "You cannot delete your own account here; another administrator can.");
  const user = await target(db, id);
  if (confirmEmail.trim().toLowerCase() !== user.email) {
    throw invalidInput("confirmEmail", `Type the account's email (${user.email}) to confirm: everything it holds is deleted.`);
  }
  const owned = { userId: id };
  const [chats, messages, models, memories, accessTokens, sessions, sharedModelsKept] = await Promise.all([
    db.chat.count({ where: owned }),
    db.message.count({ where: { chat: owned } }),
    db.aiModel.count({ where: { ...owned, shared: false } }),
    db.memory.count({ where: owned }),
    db.accessToken.count({ where: owned }),
    db.session.count({ where: owned }),
    db.aiModel.count({ where: { ...owned, shared: true } }),
  ]);
  await db.$transaction([
    // Shared models serve everyone: they pass to the administrator who deletes their author.
    db.aiModel.updateMany({ where: { ...owned, shared: true }, data: { userId: admin.id } }),
    // Messages first: MySQL stops cascades at 15 levels, and the database has no foreign keys between messages.
    db.message.deleteMany({ where: { chat: owned } }),
    db.user.delete({ where: { id } }),
  ]);
  return { email: user.email, chats, messages, models, memories, accessTokens, sessions, sharedModelsKept };
}
