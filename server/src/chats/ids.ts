/**
 * Ids for messages that are written inside another write (a chat update that adds a
 * message and makes it the chat's current leaf), where the id must be known beforehand.
 * Shaped like the database's own cuids: "c", the time in base 36, then randomness; so
 * they sort by creation like those do.
 */
import { randomBytes } from "node:crypto";

export function newMessageId(): string {
  const random = [...randomBytes(12)].map((byte) => (byte % 36).toString(36)).join("");
  return `c${Date.now().toString(36).padStart(8, "0")}${random}`;
}

/** A chat's id chosen before its write (a new chat's pending reply claims the chat in the write that creates it: a send, a glasses exchange). */
export const newChatId = newMessageId;
