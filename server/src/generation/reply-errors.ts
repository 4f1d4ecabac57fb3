/**
 * Why a reply ended from our side, not the provider's (those are in provider-errors.ts),
 * in sentences that say what happened and what to do. The reply's `error` column and the
 * last event of the replyStream subscription carry them.
 */

/** The server writing the reply stopped (shutdown, crash, or it stopped renewing its lease). */
export const INTERRUPTED = "The server stopped while this reply was being written, so it ends here. Regenerate it or send your message again.";

/** The final write was refused, even after retries: the text shown was not stored. */
export const NOT_SAVED =
  "This reply could not be saved: the database did not accept it, so after a reload only part of it may be left. Copy what you need, then regenerate it.";

/** Another reply is being written in the chat (one writer per chat). */
export const REPLY_IN_PROGRESS = "A reply is still being written in this chat: wait for it or cancel it.";

export function replyTooLong(maxChars: number): string {
  return `The reply reached ${maxChars.toLocaleString("en-US")} characters, the most a reply may have, so it was stopped there. Ask for a shorter answer, or in parts.`;
}
