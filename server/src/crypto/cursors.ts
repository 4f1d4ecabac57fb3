/**
 * Pagination cursors the server signs: `<id>.<tag>`, base64url, the tag an HMAC (key derived
 * from the encryption key) over the id and the cursor's scope: who asked, and which list of
 * which parent (one chat's messages). A cursor is only accepted where it was issued, so a
 * cursor built from another user's message id (or any id at all) cannot probe whether that
 * row exists, and a malformed one never reaches the database.
 */
import { hkdfSync, timingSafeEqual } from "node:crypto";

const TAG_BYTES = 16;

export type CursorSigner = ReturnType<typeof createCursorSigner>;

export function createCursorSigner(encryptionKey: Buffer) {
  const key = Buffer.from(hkdfSync("sha256", encryptionKey, Buffer.alloc(0), "aiui pagination cursors v1", 32));
  // Bun's own HMAC: the same bytes as node:crypto's createHmac, in about half the time (a page seals one per row).
  const tagOf = (scope: string, id: string) => Buffer.from(new Bun.CryptoHasher("sha256", key).update(`${scope}\n${id}`).digest().subarray(0, TAG_BYTES));
  return {
    seal(scope: string, id: string): string {
      return `${Buffer.from(id).toString("base64url")}.${tagOf(scope, id).toString("base64url")}`;
    },
    /** The id in a cursor issued for `scope`, or null for anything else. */
    open(scope: string, cursor: string): string | null {
      const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(cursor);
      if (!match) return null;
      const id = Buffer.from(match[1]!, "base64url").toString();
      const given = Buffer.from(match[2]!, "base64url");
      const expected = tagOf(scope, id);
      return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
    },
  };
}
