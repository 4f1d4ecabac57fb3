/** Chats and their messages. `db` is the caller's fenced client (accounts/fence.ts). */
import type { Db } from "../db/client.ts";
import type { Chat, ChatSource } from "../db/generated/sqlite/client.ts";
import { invalidInput, notFound } from "../errors.ts";

export const MAX_TITLE_LENGTH = 120;
/** The title of a chat created without one; the first user message replaces it. */
export const DEFAULT_CHAT_TITLE = "New chat";
/** How long an automatic title may be (a cut of the first user message). */
export const AUTO_TITLE_LENGTH = 60;
/** The longest message a user may send, in characters. */
export const MAX_MESSAGE_LENGTH = 100_000;

/** A message's text as stored: trimmed, non-empty, at most MAX_MESSAGE_LENGTH characters. */
export function checkMessageContent(raw: string): string {
  const content = raw.trim();
  if (content === "") throw invalidInput("content", "content must not be empty.");
  if (content.length > MAX_MESSAGE_LENGTH) {
    throw invalidInput("content", `content must be at most ${MAX_MESSAGE_LENGTH} characters (it has ${content.length}).`);
  }
  return content;
}

/**
 * A chat title cut from its first user message: whitespace and Markdown markers
 * collapsed, at most AUTO_TITLE_LENGTH characters, cut at a word boundary when one is
 * near, with "…" when something was cut.
 */
export function titleFromMessage(content: string): string {
  // Code blocks say little about the topic, unless there is nothing else.
  const prose = content.replace(/```[\s\S]*?(```|$)/g, " ");
  const text = (prose.trim() === "" ? content : prose)
    .replace(/[#>*_`~|]+/g, " ")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1") // [text](link) -> text
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return DEFAULT_CHAT_TITLE;
  if (text.length <= AUTO_TITLE_LENGTH) return text;
  const cut = text.slice(0, AUTO_TITLE_LENGTH - 1);
  // Cut at the last word boundary (the cut may end exactly on one), unless that loses too much.
  const space = text[cut.length] === " " ? cut.length : cut.lastIndexOf(" ");
  const words = space >= AUTO_TITLE_LENGTH / 2 ? cut.slice(0, space) : cut;
  return `${words.replace(/[\s.,;:!?\-–—]+$/, "")}…`;
}

export function checkTitle(raw: string): string {
  const title = raw.replace(/\s+/g, " ").trim();
  if (title === "") throw invalidInput("title", "title must not be empty.");
  if (title.length > MAX_TITLE_LENGTH) throw invalidInput("title", `title must be at most ${MAX_TITLE_LENGTH} characters.`);
  return title;
}

export async function getChat(db: Db, id: string): Promise<Chat> {
  const chat = await db.chat.findUnique({ where: { id } });
  if (!chat) throw notFound("Chat");
  return chat;
}

export function createChat(
  db: Db,
  ownerId: string,
  input: { title?: string | null; modelId?: string | null; source?: ChatSource },
): Promise<Chat> {
  return db.chat.create({
    data: {
      userId: ownerId,
      title: input.title == null ? DEFAULT_CHAT_TITLE : checkTitle(input.title),
      titleSetByUser: input.title != null,
      modelId: input.modelId ?? null,
      source: input.source ?? "WEB",
    },
  });
}

/** The user's title: the automatic one (from the first message) never replaces it, even if it was on its way. */
export async function renameChat(db: Db, id: string, title: string): Promise<Chat> {
  const checked = checkTitle(title);
  await getChat(db, id);
  return db.chat.update({ where: { id }, data: { title: checked, titleSetByUser: true } });
}

export async function deleteChat(db: Db, id: string): Promise<void> {
  const { count } = await db.chat.deleteMany({ where: { id } });
  if (count === 0) throw notFound("Chat");
}
