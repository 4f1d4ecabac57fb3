/**
 * Who may sign up: the mode stored in the database (the ServerSettings row, id 1), which an
 * administrator changes at run time; SIGNUP_OPEN is only its value until then. Invite links
 * are one-time and expiring; only their SHA-256 is stored. The unfenced client: these act
 * before there is a user to fence to, or for an administrator (admin/ checks the role).
 */
import type { Db } from "../db/client.ts";
import type { Invite } from "../db/generated/sqlite/client.ts";
import { hashToken, newToken } from "../crypto/tokens.ts";
import { upsertRetried } from "../db/races.ts";
import { AppError, invalidInput } from "../errors.ts";

export const SIGNUP_MODES = ["OPEN", "INVITE_ONLY", "CLOSED"] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

/** The id of the one ServerSettings row; the first sign-up creates it (accounts/service.ts). */
export const SERVER_SETTINGS_ID = 1;
/** An invite link lives a week unless the administrator says otherwise; at most 30 days. */
export const INVITE_DEFAULT_HOURS = 7 * 24;
export const INVITE_MAX_HOURS = 30 * 24;
const INVITE_PREFIX = "inv_";

export async function readSignupMode(db: Db, initiallyOpen: boolean): Promise<SignupMode> {
  const row = await db.serverSettings.findUnique({ where: { id: SERVER_SETTINGS_ID }, select: { signupMode: true } });
  const stored = row?.signupMode;
  if (stored && (SIGNUP_MODES as readonly string[]).includes(stored)) return stored as SignupMode;
  return initiallyOpen ? "OPEN" : "CLOSED";
}

export async function writeSignupMode(db: Db, mode: SignupMode): Promise<SignupMode> {
  await upsertRetried(() =>
    db.serverSettings.upsert({ where: { id: SERVER_SETTINGS_ID }, create: { id: SERVER_SETTINGS_ID, signupMode: mode }, update: { signupMode: mode } }),
  );
  return mode;
}

/** True until the first account was created (the ServerSettings row exists from then on). */
export async function needsFirstAccount(db: Db): Promise<boolean> {
  return (await db.serverSettings.findUnique({ where: { id: SERVER_SETTINGS_ID }, select: { id: true } })) === null;
}

/** An administrator made another way (`bun run admin create-admin`): the server no longer waits for its first account. */
export async function markFirstAccountMade(db: Db): Promise<void> {
  await upsertRetried(() => db.serverSettings.upsert({ where: { id: SERVER_SETTINGS_ID }, create: { id: SERVER_SETTINGS_ID, signupMode: null }, update: {} }));
}

export async function createInvite(db: Db, createdById: string, input: { note?: string | null; expiresInHours?: number | null }) {
  const note = (input.note ?? "").replace(/\s+/g, " ").trim();
  if (note.length > 100) throw invalidInput("note", "The note must be at most 100 characters.");
  const hours = input.expiresInHours ?? INVITE_DEFAULT_HOURS;
  if (!Number.isInteger(hours) || hours < 1 || hours > INVITE_MAX_HOURS) {
    throw invalidInput("expiresInHours", `An invite link lasts between 1 hour and ${INVITE_MAX_HOURS} hours (30 days).`);
  }
  const token = newToken(INVITE_PREFIX);
  const invite = await db.invite.create({
    data: { tokenHash: hashToken(token), createdById, note, expiresAt: new Date(Date.now() + hours * 3_600_000) },
  });
  return { invite, token };
}

const inviteRefused = () =>
  new AppError("FORBIDDEN", "This invite link was already used, has expired or was withdrawn. Ask the administrator for a new one.", "inviteToken");

/**
 * Marks the invite used, atomically: of simultaneous sign-ups with one link, one wins.
 * Returns a function that gives it back (the sign-up failed after all).
 */
export async function claimInvite(db: Db, token: string): Promise<{ id: string; release: () => Promise<void> }> {
  const tokenHash = hashToken(token.trim());
  const now = new Date();
  const { count } = await db.invite.updateMany({ where: { tokenHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
  if (count === 0) throw inviteRefused();
  const invite = await db.invite.findUniqueOrThrow({ where: { tokenHash }, select: { id: true } });
  return {
    id: invite.id,
    release: async () => {
      await db.invite.updateMany({ where: { id: invite.id, usedById: null }, data: { usedAt: null } });
    },
  };
}

export type InviteState = "ACTIVE" | "USED" | "EXPIRED";
export function inviteState(invite: Pick<Invite, "usedAt" | "expiresAt">, now = Date.now()): InviteState {
  if (invite.usedAt) return "USED";
  return invite.expiresAt.getTime() <= now ? "EXPIRED" : "ACTIVE";
}
