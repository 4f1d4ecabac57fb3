/** Chats and their messages. `db` is the caller's fenced client (accounts/fence.ts). */
import type { Db } from "../db/client.ts";
import type { Chat, ChatSource } from "../db/generated/sqlite/client.ts";
import { invalidInput, notFound } from "../errors.ts";

export const MAX_TITLE_LENGTH = 120;

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
      title: input.title == null ? "New chat" : checkTitle(input.title),
      modelId: input.modelId ?? null,
      source: input.source ?? "WEB",
    },
  });
}

export async function renameChat(db: Db, id: string, title: string): Promise<Chat> {
  const checked = checkTitle(title);
  await getChat(db, id);
  return db.chat.update({ where: { id }, data: { title: checked } });
}

export async function deleteChat(db: Db, id: string): Promise<void> {
  const { count } = await db.chat.deleteMany({ where: { id } });
  if (count === 0) throw notFound("Chat");
}
