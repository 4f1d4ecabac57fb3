/**
 * The conversation a reply answers: the branch of the chat's message tree that ends at
 * the question (docs/decisions/0012-message-tree.md), its last HISTORY_LIMIT messages,
 * with the pictures of the most recent ones for a model that can see.
 */
import type { MessageTree } from "../chats/index.ts";
import type { Db } from "../db/client.ts";
import { HISTORY_LIMIT, type HistoryMessage } from "./conversation.ts";

/** Pictures are sent with the last this many messages of the branch… */
export const IMAGE_HISTORY_MESSAGES = 20;
/** …and at most this many in all, newest first (each can be megabytes of base64). */
export const MAX_HISTORY_IMAGES = 8;

/**
 * The branch from the chat's first message down to `lastId` (inclusive), oldest first.
 * `canSeeImages`: whether the model is sent pictures, or told it missed some.
 * `db` is the owner's fenced client. `known`: messages of the chat the caller read moments
 * ago, ended and without pictures; when they hold the whole branch, nothing is read.
 *
 * The pictures are read by their messages' ids (indexed), not counted with Prisma's `_count`
 * in the first read: that joins an aggregate of the whole Attachment table, every user's.
 */
export async function readBranch(
  db: Db,
  tree: MessageTree,
  lastId: string | null,
  canSeeImages: boolean,
  known?: ReadonlyMap<string, HistoryMessage>,
): Promise<HistoryMessage[]> {
  const ids = tree
    .pathTo(lastId)
    .slice(-HISTORY_LIMIT)
    .map((node) => node.id);
  if (ids.length === 0) return [];
  // Every message of the branch just read by the caller (ended messages never change): nothing to read again.
  if (known && ids.every((id) => known.has(id))) return ids.map((id) => known.get(id)!);
  const rows = await db.message.findMany({
    where: { chatId: tree.chatId, id: { in: ids } },
    select: { id: true, role: true, content: true, status: true, attachments: { select: { id: true, mimeType: true } } },
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const ordered = ids.flatMap((id) => byId.get(id) ?? []);

  // Which pictures go along: those of the most recent messages, newest first, up to the limit.
  const wanted: string[] = [];
  if (canSeeImages) {
    for (const row of ordered.slice(-IMAGE_HISTORY_MESSAGES).reverse()) {
      for (const attachment of row.attachments) {
        if (attachment.mimeType.startsWith("image/") && wanted.length < MAX_HISTORY_IMAGES) wanted.push(attachment.id);
      }
    }
  }
  const pictures = wanted.length
    ? await db.attachment.findMany({ where: { id: { in: wanted } }, select: { id: true, messageId: true, mimeType: true, data: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] })
    : [];
  return ordered.map((row) => {
    const images = pictures.filter((picture) => picture.messageId === row.id).map(({ mimeType, data }) => ({ mimeType, data }));
    const unseen = canSeeImages ? 0 : row.attachments.filter((attachment) => attachment.mimeType.startsWith("image/")).length;
    return {
      role: row.role,
      content: row.content,
      status: row.status,
      ...(images.length ? { images } : {}),
      ...(unseen ? { unseenImages: unseen } : {}),
    };
  });
}
