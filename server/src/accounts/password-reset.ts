/**
 * Password reset by a one-time link: mailed to the address on request (when SMTP is set up),
 * made by an administrator to hand over, or printed by `bun run admin reset-password`.
 * The link carries a random 256-bit secret in its fragment (never sent to servers or in
 * Referer headers); only its SHA-256 is stored. It works once, within an hour; using it
 * sets the new password and ends every session of the account
 * (docs/decisions/0016-accounts.md). Holds the unfenced client: it acts for whoever has the
 * link or the address, before anyone is signed in.
 */
import type { Db } from "../db/client.ts";
import { hashToken, newToken } from "../crypto/tokens.ts";
import { AppError, invalidInput, notFound } from "../errors.ts";
import type { Mailer } from "./mail.ts";
import { checkNewPassword } from "./passwords.ts";

export const RESET_LINK_TTL_MS = 60 * 60 * 1000;
/** Where links lead: the web UI's page that reads the secret from the fragment. */
export const RESET_PATH = "/reset-password";

export interface ResetLink {
  url: string;
  expiresAt: Date;
}

/** A new one-time link for `userId`; earlier unused links of the account stay valid until they expire or one is used. */
export async function createResetLink(rootDb: Db, userId: string, baseUrl: string, createdById: string | null): Promise<ResetLink> {
  const secret = newToken();
  const expiresAt = new Date(Date.now() + RESET_LINK_TTL_MS);
  await rootDb.passwordReset.create({ data: { userId, tokenHash: hashToken(secret), expiresAt, createdById } });
  return { url: `${baseUrl.replace(/\/+$/, "")}${RESET_PATH}#token=${secret}`, expiresAt };
}

/** An administrator's link for another user; NOT_FOUND when the user does not exist. */
export async function createResetLinkFor(rootDb: Db, userId: string, baseUrl: string, adminId: string): Promise<ResetLink> {
  const user = await rootDb.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!user) throw notFound("User");
  return createResetLink(rootDb, user.id, baseUrl, adminId);
}

/**
 * Mails a link when `email` has an account; says nothing either way (the caller answers the
 * same). Runs after the request is answered, so timing tells nothing either.
 */
export async function mailResetLink(rootDb: Db, mailer: Mailer, baseUrl: string, email: string): Promise<void> {
  const user = await rootDb.user.findUnique({ where: { email }, select: { id: true, email: true, displayName: true } });
  if (!user) return;
  const link = await createResetLink(rootDb, user.id, baseUrl, null);
  await mailer.send({
    to: user.email,
    subject: "Reset your AIUI password",
    text: [
      `Hello ${user.displayName},`,
      "",
      "Someone (hopefully you) asked to reset the password of your AIUI account. To choose a new password, open:",
      "",
      link.url,
      "",
      "The link works once, within an hour. Using it signs out every browser and device signed in to your account.",
      "If you did not ask for this, ignore this e-mail: your password stays as it is.",
    ].join("\n"),
  });
}

const invalidLink = () =>
  new AppError("BAD_USER_INPUT", "This reset link is not valid: it was used already, has expired, or was copied incompletely. Ask for a new one.", "token");

/** Sets the new password for the link's account and ends all its sessions; returns the user's id and email. */
export async function resetPassword(rootDb: Db, input: { token: string; newPassword: string }): Promise<{ userId: string; email: string }> {
  const token = input.token.trim().replace(/^#?token=/, "");
  if (token === "" || token.length > 200) throw invalidLink();
  const reset = await rootDb.passwordReset.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  const now = new Date();
  if (!reset || reset.usedAt || reset.expiresAt <= now) throw invalidLink();
  // The rules first: a refused password leaves the link usable.
  let password: string;
  try {
    password = checkNewPassword(input.newPassword, reset.user);
  } catch (error) {
    throw error instanceof AppError ? invalidInput("newPassword", error.message) : error;
  }
  const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id" });
  // Claimed atomically: of two uses at once, one wins.
  const claimed = await rootDb.passwordReset.updateMany({ where: { id: reset.id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
  if (claimed.count === 0) throw invalidLink();
  await rootDb.$transaction([
    rootDb.user.update({ where: { id: reset.userId }, data: { passwordHash } }),
    rootDb.session.deleteMany({ where: { userId: reset.userId } }),
    // Other links of the account (older e-mails) die with this one.
    rootDb.passwordReset.updateMany({ where: { userId: reset.userId, usedAt: null }, data: { usedAt: now } }),
  ]);
  return { userId: reset.userId, email: reset.user.email };
}
