/**
 * Who is asking, for every transport: GraphQL over HTTP and WebSocket and the
 * attachments route read the session cookie; the glasses route, the OpenAI-compatible
 * /v1 API and GraphQL (with `Authorization: Bearer`) read a personal access token, each
 * asking for its own scope (access-tokens.ts). Failed token authentication is counted per
 * client address on every route, and an address past TOKEN_MAX_FAILURES is refused
 * (RATE_LIMITED) until its window ends, even with a good token: guessing stays slow.
 * Each answer carries the caller's fenced client (fence.ts), the only database handle
 * request code gets. The unfenced client stays in here and in the other services built
 * at start (see docs/decisions/0007-structural-fence.md).
 */
import type { Db } from "../db/client.ts";
import type { User } from "../db/generated/sqlite/client.ts";
import { hashToken } from "../crypto/tokens.ts";
import type { DatabaseProvider } from "../env.ts";
import { AppError, RateLimited } from "../errors.ts";
import { hasScope, type TokenScope } from "./access-tokens.ts";
import { fenceFor } from "./fence.ts";
import { AttemptLimiter } from "./rate-limit.ts";
import { sessionReader } from "./session-read.ts";

/**
 * How long a session's answer (its user row) is reused without asking the database. Every
 * change that could make it wrong (sign-out, a user row written through the fence, and the
 * `invalidateUser`/`invalidateSession` calls of password changes and deactivation) drops it
 * on every instance at once, so this bounds only what no code path reports: a row changed
 * by hand in the database. See docs/decisions/0014-performance.md.
 */
export const SESSION_CACHE_TTL_MS = 60_000;
/** Enough for every signed-in browser of a large install; past it the oldest entries go. */
const SESSION_CACHE_MAX_ENTRIES = 10_000;
/** The topic instances tell each other about dropped sessions and changed users on. */
export const IDENTITY_TOPIC = "aiui:identity-invalidations";

/** How instances tell each other (the reply bus: Redis pub/sub, or a loop back with one instance). */
export interface InvalidationChannel {
  publish(topic: string, event: unknown): void;
  subscribe(topic: string, listener: (event: unknown) => void): Promise<() => void>;
}

type Invalidation = { userId: string } | { sessionId: string } | { tokenHash: string };

export const SESSION_COOKIE = "aiui_session";
/** Fences an anonymous caller to an id no user has, so a missed auth check still reads nothing. */
const NOBODY = "anonymous:no-such-user";
/** lastUsedAt is for the user's overview; writing it more often than this buys nothing. */
const TOKEN_LAST_USED_RESOLUTION_MS = 60_000;
/** Likewise a session's lastSeenAt (the account page's "last seen"). */
const SESSION_LAST_SEEN_RESOLUTION_MS = 60_000;

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

/** A caller identified by an access token. */
export interface TokenCaller {
  userId: string;
  db: Db;
  /** The token's id (none for the glasses' opt-in anonymous user). */
  tokenId: string | null;
  /** The user's memory switch, from the remembered user row (current: any change drops it). */
  memoryEnabled?: boolean;
  /** The user's monthly budget (null: none), from the remembered user row; undefined: not known, the budget check reads it. */
  monthlyBudget?: User["monthlyBudget"];
}

/** A caller identified by an access token, with their user row (GraphQL's viewer). */
export interface TokenUserCaller extends TokenCaller {
  user: User;
}

export interface IdentityOptions {
  /** The database's SQL dialect, for the session lookup that reads its user in the same statement (session-read.ts). */
  provider: DatabaseProvider;
  /** Besides Authorization, the header the glasses may carry their token in (lower case). */
  glassesTokenHeader: string;
  /** Opt-in: token-less glasses requests act as this account (email). */
  anonymousGlassesUserEmail?: string;
  /** Failed token authentications one client address may make per window before it is refused. */
  tokenMaxFailures: number;
  tokenWindowSeconds: number;
  /** Where invalidations go to and come from other instances; without one they stay in this process. */
  channel?: InvalidationChannel;
}

const SCOPE_NAMES: Record<TokenScope, string> = { glasses: "the glasses", graphql: "GraphQL", openai: "the OpenAI-compatible API" };

/** The secret of `Authorization: Bearer <secret>`, or null (GraphQL and /v1 take no other form). */
export function bearerToken(request: Request): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization")?.trim() ?? "");
  return match ? match[1]! : null;
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

  /** An access token as remembered (what tokenFor checks). */
  interface KnownToken {
    id: string;
    userId: string;
    scopes: string;
    expiresAt: Date | null;
    revokedAt: Date | null;
    lastUsedAt: Date | null;
    lastUsedAddress: string | null;
    cachedAt: number;
  }
  /** A session as remembered: whose it is and until when it is valid. */
  interface KnownSession {
    sessionId: string;
    userId: string;
    expiresAt: number;
    cachedAt: number;
    /** When its lastSeenAt was last written (or its sign-in). */
    seenAt: number;
  }
  /**
   * Sessions by their token's hash, users by id: a session new to the instance (a second
   * device, another instance's sign-in, any session after a restart) costs one statement,
   * which reads its user too; a known one none. A Map keeps insertion order, so its first
   * key is the oldest.
   */
  const sessions = new Map<string, KnownSession>();
  const users = new Map<string, { user: User; cachedAt: number }>();
  /**
   * Access tokens by their hash, as read (without their user: that comes from `users`). A
   * revocation is a write of the user's through the fence, which drops the user's entries.
   */
  const tokens = new Map<string, KnownToken>();
  /**
   * Bumped by every invalidation: a lookup that started before one does not store what it
   * read (it may predate the change it reports).
   */
  let epoch = 0;

  /** What other services remember per user (rememberedPerUser): dropped with the user's row. */
  const perUser: Map<string, unknown>[] = [];

  function forget(event: Invalidation) {
    epoch++;
    if ("tokenHash" in event) {
      sessions.delete(event.tokenHash);
      return;
    }
    if ("userId" in event) {
      users.delete(event.userId);
      for (const entries of perUser) entries.delete(event.userId);
      for (const [hash, entry] of tokens) if (entry.userId === event.userId) tokens.delete(hash);
    }
    for (const [hash, entry] of sessions) {
      if ("userId" in event ? entry.userId === event.userId : entry.sessionId === event.sessionId) sessions.delete(hash);
    }
  }
  function broadcast(event: Invalidation) {
    forget(event);
    options.channel?.publish(IDENTITY_TOPIC, event);
  }
  const subscribed = options.channel?.subscribe(IDENTITY_TOPIC, (event) => {
    if (event && typeof event === "object") forget(event as Invalidation);
  });
  function bounded<V>(map: Map<string, V>, key: string, value: V) {
    if (map.size >= SESSION_CACHE_MAX_ENTRIES && !map.has(key)) map.delete(map.keys().next().value!);
    map.set(key, value);
  }
  const fresh = (entry: { cachedAt: number } | undefined, now: number) => entry !== undefined && now - entry.cachedAt < SESSION_CACHE_TTL_MS;

  /**
   * Each user's fenced client, made once and kept: making one (Prisma's $extends) cost a
   * third of the server's CPU time per request (docs/decisions/0014-performance.md). Its
   * hook reports the user's own writes to their row or sessions (settings, memory switch).
   */
  const fencedClients = new Map<string, Db>();
  function fenced(userId: string): Db {
    let db = fencedClients.get(userId);
    if (!db) {
      db = fenceFor(rootDb, userId, undefined, { ownRowsChanged: () => broadcast({ userId }) });
      bounded(fencedClients, userId, db);
    }
    return db;
  }

  const readSession = sessionReader(rootDb, options.provider);

  async function userForSession(sessionToken: string): Promise<User | null> {
    const tokenHash = hashToken(sessionToken);
    const now = Date.now();
    const startedIn = epoch;
    let session = sessions.get(tokenHash);
    /** The user as read with the session, when the session was not known. */
    let readUser: User | undefined;
    if (!fresh(session, now) || session!.expiresAt <= now) {
      sessions.delete(tokenHash);
      const found = await readSession(tokenHash);
      if (!found) return null;
      const row = found.session;
      if (row.expiresAt.getTime() <= Date.now()) {
        await rootDb.session.deleteMany({ where: { id: row.id } });
        return null;
      }
      const seenAt = (row.lastSeenAt ?? row.createdAt).getTime();
      session = { sessionId: row.id, userId: row.userId, expiresAt: row.expiresAt.getTime(), cachedAt: now, seenAt };
      readUser = found.user;
      if (epoch === startedIn) {
        bounded(sessions, tokenHash, session);
        bounded(users, readUser.id, { user: readUser, cachedAt: now });
      }
    }
    if (now - session!.seenAt > SESSION_LAST_SEEN_RESOLUTION_MS) {
      session!.seenAt = now;
      await rootDb.session.updateMany({ where: { id: session!.sessionId }, data: { lastSeenAt: new Date(now) } });
    }
    const user = readUser ?? (await knownUser(session!.userId, startedIn));
    // Deactivation ends the user's sessions (and drops them here); this covers one started in the same instant.
    return user?.deactivatedAt ? null : user;
  }

  const tokenFailures = new AttemptLimiter(options.tokenMaxFailures, options.tokenWindowSeconds * 1000);
  const failureKey = (clientAddress: string) => `token:${clientAddress}`;

  function refuseIfLimited(clientAddress: string): void {
    const waitMs = tokenFailures.retryAfterMs(failureKey(clientAddress));
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new RateLimited(`Too many requests with a wrong access token from this address. Try again in ${seconds} s.`, seconds);
    }
  }

  /** The user row, remembered like a session's (deactivation and every change drop it). */
  async function knownUser(userId: string, startedIn: number): Promise<User | null> {
    const now = Date.now();
    const known = users.get(userId);
    if (fresh(known, now)) return known!.user;
    const user = await rootDb.user.findUnique({ where: { id: userId } });
    if (user && epoch === startedIn) bounded(users, user.id, { user, cachedAt: now });
    return user;
  }

  /**
   * The token behind `secret` if it is live and carries `scope`. A wrong, expired or revoked
   * token counts as a failure of the address; a good token without the scope is FORBIDDEN.
   * A known token and its user cost no statement (decision 0014).
   */
  async function tokenFor<WithUser extends boolean>(secret: string, scope: TokenScope, clientAddress: string, withUser: WithUser) {
    refuseIfLimited(clientAddress);
    const tokenHash = hashToken(secret);
    const startedIn = epoch;
    let now = Date.now();
    let token = tokens.get(tokenHash);
    if (!fresh(token, now)) {
      tokens.delete(tokenHash);
      const row = await rootDb.accessToken.findUnique({
        where: { tokenHash },
        select: { id: true, userId: true, scopes: true, expiresAt: true, revokedAt: true, lastUsedAt: true, lastUsedAddress: true },
      });
      token = row ? { ...row, cachedAt: now } : undefined;
      if (token && epoch === startedIn) bounded(tokens, tokenHash, token);
    }
    now = Date.now();
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt.getTime() <= now)) {
      tokenFailures.recordFailure(failureKey(clientAddress));
      const why = !token ? "not valid (mistyped, or deleted with its account)" : token.revokedAt ? "revoked" : "expired";
      throw new AppError("UNAUTHENTICATED", `This access token is ${why}. Create a new one in AIUI under Settings → Access tokens.`);
    }
    const user = await knownUser(token.userId, startedIn);
    if (!user) {
      tokenFailures.recordFailure(failureKey(clientAddress));
      throw new AppError("UNAUTHENTICATED", "This access token is not valid (mistyped, or deleted with its account). Create a new one in AIUI under Settings → Access tokens.");
    }
    // A deactivated user's tokens stay (reactivation brings them back) but open nothing.
    if (user.deactivatedAt) {
      throw new AppError("UNAUTHENTICATED", "This access token's account was deactivated by an administrator of this server.");
    }
    if (!hasScope(token, scope)) {
      throw new AppError("FORBIDDEN", `This access token is not allowed to use ${SCOPE_NAMES[scope]}: create one with the ${scope} scope.`);
    }
    // "unknown": a request handed to the app in process, with no socket to read.
    const address = clientAddress === "unknown" ? null : clientAddress;
    if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > TOKEN_LAST_USED_RESOLUTION_MS || token.lastUsedAddress !== address) {
      token.lastUsedAt = new Date(now);
      token.lastUsedAddress = address;
      await rootDb.accessToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date(now), lastUsedAddress: address } });
    }
    return { ...token, user: (withUser ? user : undefined) as WithUser extends true ? User : undefined };
  }


  return {
    /** The caller behind the request's session cookie, or nobody. */
    async fromSession(request: Request): Promise<SessionCaller> {
      const hasCookie = (request.headers.get("cookie") ?? "").includes(`${SESSION_COOKIE}=`);
      const sessionToken = readCookie(request, SESSION_COOKIE);
      const user = sessionToken ? await userForSession(sessionToken) : null;
      if (!user) return { ...nobody, staleCookie: hasCookie };
      return { user, db: fenced(user.id), sessionToken, staleCookie: false };
    },

    /**
     * The caller behind `Authorization: Bearer <token>` for a route of `scope` (/v1: openai).
     * Throws UNAUTHENTICATED (no, wrong, expired or revoked token), FORBIDDEN (another
     * scope) or RATE_LIMITED (too many failures from `clientAddress`).
     */
    async fromBearer(request: Request, scope: TokenScope, clientAddress: string): Promise<TokenCaller> {
      const secret = bearerToken(request);
      if (!secret) {
        throw new AppError("UNAUTHENTICATED", `Missing access token: send Authorization: Bearer <token> with a token that has the ${scope} scope.`);
      }
      const token = await tokenFor(secret, scope, clientAddress, true);
      // The remembered user's switches: a send then reads neither its memory state nor its budget.
      return { userId: token.userId, db: fenced(token.userId), tokenId: token.id, memoryEnabled: token.user.memoryEnabled, monthlyBudget: token.user.monthlyBudget };
    },

    /** GraphQL's caller behind a bearer token (scope graphql), with the user row; throws like fromBearer. */
    async fromGraphQLToken(secret: string, clientAddress: string): Promise<TokenUserCaller> {
      const token = await tokenFor(secret, "graphql", clientAddress, true);
      return { userId: token.userId, user: token.user, db: fenced(token.userId), tokenId: token.id };
    },

    /** The glasses route's caller: the token's owner, or the configured anonymous user. Throws UNAUTHENTICATED, FORBIDDEN or RATE_LIMITED. */
    async fromGlassesToken(request: Request, clientAddress: string): Promise<TokenCaller> {
      const token = presentedToken(request, options.glassesTokenHeader);
      let userId: string | null = null;
      let tokenId: string | null = null;
      let memoryEnabled: boolean | undefined;
      let monthlyBudget: User["monthlyBudget"] | undefined;
      if (token) {
        const found = await tokenFor(token, "glasses", clientAddress, true);
        userId = found.userId;
        tokenId = found.id;
        memoryEnabled = found.user.memoryEnabled;
        monthlyBudget = found.user.monthlyBudget;
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
      return { userId, db: fenced(userId), tokenId, memoryEnabled, monthlyBudget };
    },

    /**
     * Call after changing what a user's sessions may do (password change, deactivation, role,
     * anything read from `viewer`): every instance reads the user again on their next request.
     */
    invalidateUser(userId: string): void {
      broadcast({ userId });
    },

    /** Call after ending one session by its id: no instance accepts its cookie any more. */
    invalidateSession(sessionId: string): void {
      broadcast({ sessionId });
    },

    /** Call after ending the session a cookie names (sign-out). */
    invalidateSessionToken(sessionToken: string): void {
      broadcast({ tokenHash: hashToken(sessionToken) });
    },

    /** A session this instance just started (sign-in, sign-up): its first request needs no lookup. */
    remember(sessionToken: string, session: { id: string; expiresAt: Date }, user: User): void {
      const now = Date.now();
      bounded(sessions, hashToken(sessionToken), { sessionId: session.id, userId: user.id, expiresAt: session.expiresAt.getTime(), cachedAt: now, seenAt: now });
      bounded(users, user.id, { user, cachedAt: now });
    },

    /**
     * A value per user remembered like the user row: for SESSION_CACHE_TTL_MS at most, and
     * dropped on every instance by whatever drops the user (a write through the user's fence
     * to their row, sessions, tokens, glasses settings or models; invalidateUser). A read
     * that an invalidation overtook is used but not kept. The glasses remember their setup.
     */
    rememberedPerUser<T>() {
      const entries = new Map<string, { value: T; cachedAt: number }>();
      perUser.push(entries);
      return {
        async get(userId: string, read: () => Promise<T>): Promise<T> {
          const now = Date.now();
          const known = entries.get(userId);
          if (fresh(known, now)) return known!.value;
          const startedIn = epoch;
          const value = await read();
          if (epoch === startedIn) bounded(entries, userId, { value, cachedAt: now });
          return value;
        },
      };
    },

    /** Resolves once invalidations from other instances reach this one (tests, start-up). */
    ready: async (): Promise<void> => {
      await subscribed;
    },
  };
}
