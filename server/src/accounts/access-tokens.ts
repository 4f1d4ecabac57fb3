/**
 * Personal access tokens: what identifies a user without a session cookie. Each carries
 * scopes naming where it works (the glasses route, GraphQL, the OpenAI-compatible /v1 API),
 * an optional expiry, and the time and address of its last use. Stored as SHA-256; the
 * secret is shown once. Managed here through the owner's fence; a presented token is looked
 * up by identity.ts. See docs/decisions/0015-programmatic-access.md.
 */
import type { Db } from "../db/client.ts";
import type { AccessToken } from "../db/generated/sqlite/client.ts";
import { hashToken, newToken } from "../crypto/tokens.ts";
import { invalidFields, notFound } from "../errors.ts";

export const TOKEN_SCOPES = ["glasses", "graphql", "openai"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Secrets start with this, so a leaked one is recognisable (secret scanners, logs). */
export const ACCESS_TOKEN_PREFIX = "aiui_pat_";
/** Tokens made for the glasses alone keep the prefix glasses tokens always had. */
export const GLASSES_TOKEN_PREFIX = "aiui_gl_";
const SHOWN_RANDOM_CHARACTERS = 6;
const MAX_NAME_LENGTH = 100;
/** Longest expiry a token may be given; "never" is null. */
const MAX_LIFETIME_DAYS = 3650;

export function scopesOf(token: Pick<AccessToken, "scopes">): TokenScope[] {
  return token.scopes.split(",").filter((scope): scope is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(scope));
}

export function hasScope(token: Pick<AccessToken, "scopes">, scope: TokenScope): boolean {
  return scopesOf(token).includes(scope);
}

/** Tokens shown to their owner, newest last; revoked ones stay listed with their last use. */
export function listAccessTokens(db: Db, ownerId: string, options: { scope?: TokenScope; includeRevoked?: boolean } = {}): Promise<AccessToken[]> {
  return db.accessToken
    .findMany({
      where: { userId: ownerId, ...(options.includeRevoked ? {} : { revokedAt: null }) },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    })
    .then((tokens) => (options.scope ? tokens.filter((token) => hasScope(token, options.scope!)) : tokens));
}

export interface NewAccessToken {
  name: string;
  scopes: readonly string[];
  /** Null or absent: never expires. */
  expiresAt?: Date | null;
}

export async function createAccessToken(db: Db, ownerId: string, input: NewAccessToken, now = new Date()): Promise<{ token: AccessToken; secret: string }> {
  const name = input.name.trim();
  const wrong: Record<string, string> = {};
  if (name === "" || name.length > MAX_NAME_LENGTH) wrong.name = `Give the token a name of 1 to ${MAX_NAME_LENGTH} characters, e.g. “My editor”.`;
  const scopes = [...new Set(input.scopes)].sort();
  const unknown = scopes.filter((scope) => !(TOKEN_SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0) wrong.scopes = `Choose at least one scope: ${TOKEN_SCOPES.join(", ")}.`;
  else if (unknown.length > 0) wrong.scopes = `Unknown scope ${unknown.join(", ")}: choose from ${TOKEN_SCOPES.join(", ")}.`;
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime())) {
    wrong.expiresAt = "The expiry must be in the future (or none, for a token that does not expire).";
  } else if (expiresAt && expiresAt.getTime() - now.getTime() > MAX_LIFETIME_DAYS * 86_400_000) {
    wrong.expiresAt = `The expiry can be at most ${MAX_LIFETIME_DAYS / 365} years away; choose none for a token that does not expire.`;
  }
  if (Object.keys(wrong).length > 0) throw invalidFields(wrong);
  const prefix = scopes.length === 1 && scopes[0] === "glasses" ? GLASSES_TOKEN_PREFIX : ACCESS_TOKEN_PREFIX;
  const secret = newToken(prefix);
  const token = await db.accessToken.create({
    data: {
      userId: ownerId,
      name,
      scopes: scopes.join(","),
      expiresAt,
      tokenHash: hashToken(secret),
      prefix: secret.slice(0, prefix.length + SHOWN_RANDOM_CHARACTERS),
    },
  });
  return { token, secret };
}

/** Refuses the token from now on (it stays listed). Revoking a revoked token changes nothing. */
export async function revokeAccessToken(db: Db, id: string, now = new Date()): Promise<AccessToken> {
  const token = await db.accessToken.findUnique({ where: { id } });
  if (!token) throw notFound("Token");
  if (token.revokedAt) return token;
  return db.accessToken.update({ where: { id }, data: { revokedAt: now } });
}
