/**
 * Glasses access tokens: the only thing that identifies a user on /mm/mm/ (the Noa app
 * sends one header the user typed). Stored as SHA-256; the secret is shown once. Managed
 * here through the owner's fence; a presented token is looked up by accounts/identity.ts.
 */
import type { Db } from "../db/client.ts";
import type { GlassesToken } from "../db/generated/sqlite/client.ts";
import { hashToken, newToken } from "../crypto/tokens.ts";
import { invalidInput, notFound } from "../errors.ts";

export const GLASSES_TOKEN_PREFIX = "aiui_gl_";
const SHOWN_PREFIX_LENGTH = GLASSES_TOKEN_PREFIX.length + 6;

export function listGlassesTokens(db: Db, ownerId: string): Promise<GlassesToken[]> {
  return db.glassesToken.findMany({ where: { userId: ownerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

export async function createGlassesToken(db: Db, ownerId: string, rawName: string): Promise<{ token: GlassesToken; secret: string }> {
  const name = rawName.trim();
  if (name === "" || name.length > 100) throw invalidInput("name", "Give the token a name of 1 to 100 characters, e.g. “My Frame”.");
  const secret = newToken(GLASSES_TOKEN_PREFIX);
  const token = await db.glassesToken.create({
    data: { userId: ownerId, name, tokenHash: hashToken(secret), prefix: secret.slice(0, SHOWN_PREFIX_LENGTH) },
  });
  return { token, secret };
}

export async function revokeGlassesToken(db: Db, id: string): Promise<void> {
  const { count } = await db.glassesToken.deleteMany({ where: { id } });
  if (count === 0) throw notFound("Token");
}
