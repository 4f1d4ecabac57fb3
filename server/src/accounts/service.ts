/**
 * Accounts: sign-up, sign-in, sign-out. These act before there is a user to fence to,
 * so they are among the few places that hold the unfenced client: `createAccounts`
 * binds them to it once at start. No request context here: the caller passes what it
 * read from the request (cookie token, client address).
 */
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import { hashToken, newToken } from "../crypto/tokens.ts";
import { isUniqueViolation } from "../db/races.ts";
import { AppError } from "../errors.ts";
import type { Config } from "../env.ts";
import { createIdentity, type InvalidationChannel } from "./identity.ts";
import { createMailer } from "./mail.ts";
import { changeEmail, changePassword, endOtherSessions, endSession, listSessions } from "./own-account.ts";
import { createResetLinkFor, mailResetLink, resetPassword } from "./password-reset.ts";
import { AttemptLimiter } from "./rate-limit.ts";
import { checkNewPassword } from "./passwords.ts";
import { claimInvite, needsFirstAccount, readSignupMode, SERVER_SETTINGS_ID } from "./signup-rules.ts";
import { canonicalEmail, checkDisplayName, normalizeEmail } from "./validation.ts";

export interface AccountSettings {
  signupOpen: boolean;
  sessionTtlDays: number;
}

/** Per-address counters of requests that anyone may make without an account. */
interface RequestLimits {
  signin: AttemptLimiter;
  /** Every sign-up attempt counts: answers about taken addresses cannot be harvested quickly. */
  signup: AttemptLimiter;
}

function tooMany(what: string, waitMs: number): AppError {
  const minutes = Math.ceil(waitMs / 60_000);
  return new AppError("RATE_LIMITED", `Too many ${what}. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
}

/** Counts one request from `clientAddress` against `limiter`; throws RATE_LIMITED when the address has used up its window. */
function spend(limiter: AttemptLimiter, clientAddress: string, what: string): void {
  const key = `address:${clientAddress}`;
  const waitMs = limiter.retryAfterMs(key);
  if (waitMs > 0) throw tooMany(what, waitMs);
  limiter.recordFailure(key);
}

/** Reset e-mails one address can receive per ACCOUNT_REQUESTS_WINDOW_SECONDS. */
const RESET_MAILS_PER_ACCOUNT = 3;

export interface SignedIn {
  user: User;
  sessionToken: string;
  sessionId: string;
  expiresAt: Date;
}

const taken = () => new AppError("CONFLICT", "An account with this email already exists. Sign in instead.", "email");

/**
 * The first sign-up creates the ServerSettings row (id 1) in the same transaction as its ADMIN
 * account: the row's primary key lets exactly one of any number of simultaneous first sign-ups
 * through, on every database. The others continue as ordinary sign-ups, under the sign-up mode.
 */
async function claimFirstAccount(
  db: Db,
  { passwordHash, ...data }: { email: string; passwordHash: () => Promise<string>; displayName: string },
): Promise<User | null> {
  if (!(await needsFirstAccount(db))) return null;
  const hashed = await passwordHash();
  try {
    const [, user] = await db.$transaction([
      db.serverSettings.create({ data: { id: SERVER_SETTINGS_ID, signupMode: null } }),
      db.user.create({ data: { ...data, passwordHash: hashed, role: "ADMIN" } }),
    ]);
    return user;
  } catch (error) {
    // Someone else was first (or, on a server whose first account is being made, the email is taken).
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

async function signUp(
  db: Db,
  settings: AccountSettings,
  limits: RequestLimits,
  input: { email: string; password: string; displayName?: string | null; inviteToken?: string | null } & ClientInfo,
): Promise<SignedIn> {
  spend(limits.signup, input.clientAddress, "sign-up attempts from your address");
  const email = normalizeEmail(input.email);
  const displayName = checkDisplayName(input.displayName, email);
  const password = checkNewPassword(input.password, { email, displayName });
  const hash = () => Bun.password.hash(password, { algorithm: "argon2id" });
  const first = await claimFirstAccount(db, { email, passwordHash: hash, displayName });
  if (first) return { user: first, ...(await startSession(db, first.id, settings.sessionTtlDays, input)) };

  const mode = await readSignupMode(db, settings.signupOpen);
  const inviteToken = input.inviteToken?.trim() || null;
  if (mode === "CLOSED") throw new AppError("FORBIDDEN", "Sign-up is closed on this server. Ask its administrator for an account.");
  if (mode === "INVITE_ONLY" && !inviteToken) {
    throw new AppError("FORBIDDEN", "Sign-up on this server is by invitation: open the invite link the administrator gave you.", "inviteToken");
  }
  if (await db.user.findUnique({ where: { email }, select: { id: true } })) throw taken();
  // With sign-up open an invite is not needed: a stale one is no reason to refuse.
  const invite = inviteToken ? await claimInvite(db, inviteToken).catch((error) => (mode === "OPEN" ? null : Promise.reject(error))) : null;
  // The unique email settles simultaneous sign-ups with one address.
  const passwordHash = await hash();
  const user = await db.user.create({ data: { email, passwordHash, displayName, role: "MEMBER" } }).catch(async (error) => {
    await invite?.release();
    throw isUniqueViolation(error) ? taken() : error;
  });
  if (invite) await db.invite.update({ where: { id: invite.id }, data: { usedById: user.id } });
  return { user, ...(await startSession(db, user.id, settings.sessionTtlDays, input)) };
}

// Verifying against a real hash when the account is unknown keeps the response time
// the same, so timing does not reveal which emails have accounts.
const decoyHash = Bun.password.hash("decoy password for unknown accounts", { algorithm: "argon2id" });

async function signIn(
  db: Db,
  settings: AccountSettings,
  limiter: AttemptLimiter,
  input: { email: string; password: string } & ClientInfo,
): Promise<SignedIn> {
  // The stored spelling (NFKC, lower case), so every variant of one address shares its limit;
  // MySQL compares the column byte for byte, so no other spelling finds the account either.
  const email = canonicalEmail(input.email);
  const keys = [`account:${email}`, `address:${input.clientAddress}`];
  const waitMs = Math.max(...keys.map((key) => limiter.retryAfterMs(key)));
  if (waitMs > 0) throw tooMany("sign-in attempts", waitMs);
  const user = await db.user.findUnique({ where: { email } });
  const ok = await Bun.password.verify(input.password, user?.passwordHash ?? (await decoyHash));
  if (!user || !ok) {
    for (const key of keys) limiter.recordFailure(key);
    throw new AppError("UNAUTHENTICATED", "Email or password is wrong.");
  }
  // Said only to the one who knows the password: the account exists but may not be used.
  if (user.deactivatedAt) throw new AppError("FORBIDDEN", "This account was deactivated by an administrator of this server.");
  limiter.reset(`account:${email}`);
  return { user, ...(await startSession(db, user.id, settings.sessionTtlDays, input)) };
}

/** Where a request came from, kept with the session it starts (the account page lists them). */
export interface ClientInfo {
  clientAddress: string;
  userAgent?: string | null;
}

async function startSession(db: Db, userId: string, ttlDays: number, client: ClientInfo) {
  const sessionToken = newToken();
  const expiresAt = new Date(Date.now() + ttlDays * 86_400_000);
  const { id } = await db.session.create({
    data: {
      tokenHash: hashToken(sessionToken),
      userId,
      expiresAt,
      userAgent: (client.userAgent ?? "").slice(0, 500),
      clientAddress: client.clientAddress.slice(0, 191),
    },
    select: { id: true },
  });
  return { sessionToken, sessionId: id, expiresAt };
}

async function signOut(db: Db, sessionToken: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: hashToken(sessionToken) } });
}

export type Accounts = ReturnType<typeof createAccounts>;

/**
 * Built once at start with the unfenced client; request code reaches accounts only through this.
 * `channel` carries session and user invalidations between instances (the reply bus).
 */
export function createAccounts(rootDb: Db, config: Pick<Config, "auth" | "database" | "glasses" | "mail" | "publicUrl">, channel?: InvalidationChannel) {
  const signinLimiter = new AttemptLimiter(config.auth.signinMaxAttempts, config.auth.signinWindowSeconds * 1000);
  const limits: RequestLimits = {
    signin: signinLimiter,
    signup: new AttemptLimiter(config.auth.accountRequestsMax, config.auth.accountRequestsWindowSeconds * 1000),
  };
  const resetLimits = {
    perAddress: new AttemptLimiter(config.auth.accountRequestsMax, config.auth.accountRequestsWindowSeconds * 1000),
    /** Mails to one address per window, however many addresses ask: nobody's inbox is flooded. */
    perAccount: new AttemptLimiter(RESET_MAILS_PER_ACCOUNT, config.auth.accountRequestsWindowSeconds * 1000),
  };
  const mailer = createMailer(config.mail);
  /** Reset mails being sent (after their request was answered). */
  const sending = new Set<Promise<void>>();
  const identity = createIdentity(rootDb, {
    provider: config.database.provider,
    glassesTokenHeader: config.glasses.tokenHeader,
    anonymousGlassesUserEmail: config.glasses.anonymousUserEmail,
    tokenMaxFailures: config.auth.tokenMaxFailures,
    tokenWindowSeconds: config.auth.tokenWindowSeconds,
    channel,
  });
  const remembered = (signedIn: SignedIn) => {
    identity.remember(signedIn.sessionToken, { id: signedIn.sessionId, expiresAt: signedIn.expiresAt }, signedIn.user);
    return signedIn;
  };
  return {
    identity,
    signUp: async (input: { email: string; password: string; displayName?: string | null; inviteToken?: string | null } & ClientInfo) =>
      remembered(await signUp(rootDb, config.auth, limits, input)),
    signIn: async (input: { email: string; password: string } & ClientInfo) => remembered(await signIn(rootDb, config.auth, signinLimiter, input)),
    signOut: async (sessionToken: string) => {
      try {
        await signOut(rootDb, sessionToken);
      } finally {
        identity.invalidateSessionToken(sessionToken);
      }
    },
    /** The caller's own account; `db` is the caller's fenced client (own-account.ts), whose writes drop the caller's remembered sessions. */
    ownAccount: {
      changeEmail: (db: Db, userId: string, input: { newEmail: string; password: string }) => changeEmail(db, signinLimiter, userId, input),
      changePassword: async (db: Db, userId: string, sessionToken: string | null, input: { currentPassword: string; newPassword: string }) => {
        const changed = await changePassword(db, signinLimiter, userId, sessionToken, input);
        identity.invalidateUser(userId);
        return changed;
      },
      listSessions,
      endSession: async (db: Db, sessionId: string) => {
        const ended = await endSession(db, sessionId);
        identity.invalidateSession(ended);
        return ended;
      },
      endOtherSessions: async (db: Db, sessionToken: string | null) => {
        const ended = await endOtherSessions(db, sessionToken);
        for (const id of ended) identity.invalidateSession(id);
        return ended;
      },
    },
    passwordReset: {
      /** Whether "forgot your password" can send an e-mail (SMTP_URL is set). */
      byEmail: mailer !== null,
      /**
       * Mails a one-time link if `email` has an account. The answer is the same either way, and
       * comes before the lookup and the mail, so its timing is the same too.
       */
      request(input: { email: string } & ClientInfo): void {
        if (!mailer || !config.publicUrl) {
          throw new AppError("FORBIDDEN", "Password reset by e-mail is not set up on this server. Ask its administrator for a reset link.");
        }
        spend(resetLimits.perAddress, input.clientAddress, "password-reset requests from your address");
        const email = normalizeEmail(input.email);
        const key = `account:${email}`;
        if (resetLimits.perAccount.retryAfterMs(key) > 0) return;
        resetLimits.perAccount.recordFailure(key);
        const sent = mailResetLink(rootDb, mailer, config.publicUrl, email)
          .catch((error: Error) => console.error(`[aiui] password-reset e-mail not sent: ${error.message.split("\n")[0]}`))
          .finally(() => sending.delete(sent));
        sending.add(sent);
      },
      /** Sets a new password with a link's secret; every session of the account ends. */
      async reset(input: { token: string; newPassword: string }): Promise<void> {
        const { userId, email } = await resetPassword(rootDb, input);
        identity.invalidateUser(userId);
        signinLimiter.reset(`account:${email}`);
      },
      /** An administrator's one-time link for another user (FORBIDDEN for anyone else). */
      async linkFor(admin: Pick<User, "id" | "role">, userId: string, baseUrl: string) {
        if (admin.role !== "ADMIN") throw new AppError("FORBIDDEN", "Only an administrator can create a reset link for someone else.");
        return createResetLinkFor(rootDb, userId, config.publicUrl ?? baseUrl, admin.id);
      },
      /** Resolves when the reset e-mails already asked for have been handed to the SMTP server (tests, shutdown). */
      async settled(): Promise<void> {
        await Promise.allSettled([...sending]);
      },
      close: () => mailer?.close(),
    },
    /** True until the first account exists: the sign-in page then offers to create the administrator. */
    needsFirstAccount: () => needsFirstAccount(rootDb),
    /** The sign-up mode now (the database's, else SIGNUP_OPEN's). */
    signupMode: () => readSignupMode(rootDb, config.auth.signupOpen),
  };
}
