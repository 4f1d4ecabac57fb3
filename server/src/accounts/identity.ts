/**
 * Who is asking, for every transport: GraphQL over HTTP and WebSocket and the
 * attachments route read the session cookie; the glasses route reads an access token.
 * Each answer carries the caller's fenced client (fence.ts), the only database handle
 * request code gets. The unfenced client stays in here and in the other services built
 * at start (see docs/decisions/0007-structural-fence.md).
 */
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import { hashToken } from "../crypto/tokens.ts";
import { AppError } from "../errors.ts";
import { fenceFor } from "./fence.ts";

export const SESSION_COOKIE = "aiui_session";
/** Fences an anonymous caller to an id no user has, so a missed auth check still reads nothing. */
const NOBODY = "anonymous:no-such-user";
/** lastUsedAt is for the user's overview; writing it more often than this buys nothing. */
const TOKEN_LAST_USED_RESOLUTION_MS = 60_000;

/** A browser (or script) identified by its session cookie, or nobody. */
export interface SessionCaller {
  user: User | null;
  /** The caller's fenced client; for nobody it matches no rows. */
  db: Db;
  /** The session token the request carried, if it named a live session. */
  sessionToken: string | null;
  /** The request carried a session cookie that names no live session (or is malformed): clear it. */
  staleCookie: boolean;
}

/** A caller identified by an access token: only the user's id is read (the glasses route's hot path). */
export interface TokenCaller {
  userId: string;
  db: Db;
}

export interface IdentityOptions {
  /** Besides Authorization, the header the glasses may carry their token in (lower case). */
  glassesTokenHeader: string;
  /** Opt-in: token-less glasses requests act as this account (email). */
  anonymousGlassesUserEmail?: string;
}

/** A cookie's value, or null when absent or not decodable (a malformed cookie is no session, not an error). */
export function readCookie(request: Request, name: string): string | null {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key !== name) continue;
    try {
      return decodeURIComponent(rest.join("="));
    } catch {
      return null;
    }
  }
  return null;
}

/** `Authorization: Bearer <t>`, a bare token in `Authorization`, or the configured header (X-API-Key). */
export function presentedToken(request: Request, tokenHeader: string): string | null {
  const authorization = request.headers.get("authorization")?.trim();
  if (authorization) return authorization.replace(/^Bearer\s+/i, "").trim() || null;
  return request.headers.get(tokenHeader)?.trim() || null;
}

export type Identity = ReturnType<typeof createIdentity>;

export function createIdentity(rootDb: Db, options: IdentityOptions) {
  const nobody = { user: null, db: fenceFor(rootDb, NOBODY), sessionToken: null } as const;

  async function userForSession(sessionToken: string): Promise<User | null> {
    const session = await rootDb.session.findUnique({ where: { tokenHash: hashToken(sessionToken) }, include: { user: true } });
    if (!session) return null;
    if (session.expiresAt.getTime() <= Date.now()) {
      await rootDb.session.deleteMany({ where: { id: session.id } });
      return null;
    }
    return session.user;
  }

  async function glassesTokenOwner(secret: string): Promise<string | null> {
    const token = await rootDb.glassesToken.findUnique({
      where: { tokenHash: hashToken(secret) },
      select: { id: true, userId: true, lastUsedAt: true },
    });
    if (!token) return null;
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > TOKEN_LAST_USED_RESOLUTION_MS) {
      await rootDb.glassesToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date() } });
    }
    return token.userId;
  }

  return {
    /** The caller behind the request's session cookie, or nobody. */
    async fromSession(request: Request): Promise<SessionCaller> {
      const hasCookie = (request.headers.get("cookie") ?? "").includes(`${SESSION_COOKIE}=`);
      const sessionToken = readCookie(request, SESSION_COOKIE);
      const user = sessionToken ? await userForSession(sessionToken) : null;
      if (!user) return { ...nobody, staleCookie: hasCookie };
      return { user, db: fenceFor(rootDb, user.id), sessionToken, staleCookie: false };
    },

    /** The glasses route's caller: the token's owner, or the configured anonymous user. Throws UNAUTHENTICATED. */
    async fromGlassesToken(request: Request): Promise<TokenCaller> {
      const token = presentedToken(request, options.glassesTokenHeader);
      let userId: string | null = null;
      if (token) {
        userId = await glassesTokenOwner(token);
        if (!userId) throw new AppError("UNAUTHENTICATED", "This glasses access token is not valid (revoked or mistyped). Create a new one in AIUI.");
      } else if (options.anonymousGlassesUserEmail) {
        const user = await rootDb.user.findUnique({ where: { email: options.anonymousGlassesUserEmail }, select: { id: true } });
        userId = user?.id ?? null;
      }
      if (!userId) {
        throw new AppError(
          "UNAUTHENTICATED",
          "Missing access token. In the Noa app set API Header Key to Authorization and API Header Value to Bearer <your AIUI glasses token>.",
        );
      }
      return { userId, db: fenceFor(rootDb, userId) };
    },
  };
}
