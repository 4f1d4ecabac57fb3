/**
 * What `bun run admin` does (server/src/admin-cli.ts), for whoever runs the server and is
 * locked out of the web UI: list accounts, make or promote an administrator, reset a
 * password (a one-time link, or a password given on standard input). Unfenced: it is the
 * server's operator acting on the database directly.
 */
import type { Db } from "../db/client.ts";
import { hashToken, newToken } from "../crypto/tokens.ts";
import { AppError } from "../errors.ts";
import { createResetLink, type ResetLink } from "./password-reset.ts";
import { checkNewPassword } from "./passwords.ts";
import { markFirstAccountMade } from "./signup-rules.ts";
import { checkDisplayName, normalizeEmail } from "./validation.ts";

export interface AccountRow {
  email: string;
  displayName: string;
  role: string;
  createdAt: Date;
  sessions: number;
}

/**
 * `userChanged` is told the id of every account whose password or role changed, so running
 * servers can drop what they remember of it (admin-cli.ts sends it over Redis when set).
 */
export function commandLineAccounts(rootDb: Db, baseUrl: string, userChanged: (userId: string) => Promise<void> | void = () => {}) {
  async function userByEmail(raw: string) {
    const user = await rootDb.user.findUnique({ where: { email: normalizeEmail(raw) } });
    if (!user) throw new AppError("NOT_FOUND", `No account has the email ${raw}.`);
    return user;
  }

  async function setPassword(user: { id: string; email: string; displayName: string }, password: string): Promise<void> {
    const checked = checkNewPassword(password, user);
    const passwordHash = await Bun.password.hash(checked, { algorithm: "argon2id" });
    await rootDb.$transaction([
      rootDb.user.update({ where: { id: user.id }, data: { passwordHash } }),
      rootDb.session.deleteMany({ where: { userId: user.id } }),
    ]);
    await userChanged(user.id);
  }

  return {
    async listUsers(): Promise<AccountRow[]> {
      const users = await rootDb.user.findMany({
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: { email: true, displayName: true, role: true, createdAt: true, _count: { select: { sessions: true } } },
      });
      return users.map(({ _count, ...user }) => ({ ...user, sessions: _count.sessions }));
    },

    /** A one-time link, or (with `password`) the new password set at once; either way every session ends. */
    async resetPassword(email: string, password?: string): Promise<ResetLink | null> {
      const user = await userByEmail(email);
      if (password !== undefined) {
        await setPassword(user, password);
        return null;
      }
      return createResetLink(rootDb, user.id, baseUrl, null);
    },

    /**
     * Makes `email` an administrator: a new account (its password chosen through the printed
     * link, or `password`), or an existing one promoted. Says which.
     */
    async createAdmin(email: string, options: { name?: string; password?: string }): Promise<{ created: boolean; link: ResetLink | null }> {
      const address = normalizeEmail(email);
      let user = await rootDb.user.findUnique({ where: { email: address } });
      const created = !user;
      if (user) {
        user = await rootDb.user.update({ where: { id: user.id }, data: { role: "ADMIN" } });
        await userChanged(user.id);
      } else {
        const displayName = checkDisplayName(options.name, address);
        if (options.password !== undefined) checkNewPassword(options.password, { email: address, displayName });
        // Until a password is chosen, nothing signs in: the hash of a secret nobody keeps.
        const unusable = await Bun.password.hash(hashToken(newToken()), { algorithm: "argon2id" });
        user = await rootDb.user.create({ data: { email: address, displayName, passwordHash: unusable, role: "ADMIN" } });
      }
      // On a new server this is its first account: the sign-in page stops offering to create one.
      await markFirstAccountMade(rootDb);
      if (options.password !== undefined) {
        await setPassword(user, options.password);
        return { created, link: null };
      }
      return { created, link: await createResetLink(rootDb, user.id, baseUrl, null) };
    },
  };
}
