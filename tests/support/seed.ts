/**
 * Long chats written straight into the database, for the browser tests and benchmarks
 * that need thousands of messages: a linear chain of alternating questions and replies,
 * one second apart, with the chat's current leaf set.
 */
import { newMessageId } from "../../server/src/chats/index.ts";
import type { Db } from "../../server/src/db/client.ts";

export interface SeededChat {
  chatId: string;
  messageIds: string[];
}

/** `text(i)` is the text of message i (0-based); even ones are the user's. */
export async function seedLongChat(
  db: Db,
  input: { userId: string; modelId: string | null; title: string; count: number; text?: (i: number) => string; start?: Date },
): Promise<SeededChat> {
  const text = input.text ?? ((i: number) => (i % 2 === 0 ? `Question ${i / 2 + 1}` : `Answer ${(i + 1) / 2}`));
  const start = (input.start ?? new Date(Date.now() - input.count * 1000)).getTime();
  const chat = await db.chat.create({ data: { userId: input.userId, title: input.title, modelId: input.modelId } });
  const messageIds = Array.from({ length: input.count }, () => newMessageId());
  for (let from = 0; from < input.count; from += 500) {
    await db.message.createMany({
      data: messageIds.slice(from, from + 500).map((id, offset) => {
        const i = from + offset;
        return {
          id,
          chatId: chat.id,
          parentId: i === 0 ? null : messageIds[i - 1]!,
          role: i % 2 === 0 ? ("USER" as const) : ("ASSISTANT" as const),
          content: text(i),
          createdAt: new Date(start + i * 1000),
        };
      }),
    });
  }
  await db.chat.update({ where: { id: chat.id }, data: { currentLeafId: messageIds.at(-1) ?? null, updatedAt: new Date(start + input.count * 1000) } });
  return { chatId: chat.id, messageIds };
}
