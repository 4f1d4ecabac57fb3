import { createHash, randomBytes } from "node:crypto";

/** A random bearer secret (session cookie, access token): 256 bits, URL-safe. */
export function newToken(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** Tokens are stored only as SHA-256: a database dump reveals no usable token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
