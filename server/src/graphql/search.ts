import type { Chat, Message } from "../db/generated/sqlite/client.ts";
import { MAX_SEARCH_RESULTS, snippetOf } from "../search/index.ts";
import { builder } from "./builder.ts";
import { requireViewer } from "./context.ts";

interface Hit {
  chat: Chat;
  message: Message | null;
  snippet: string;
  highlights: { start: number; end: number }[];
}

const TextRange = builder.objectRef<{ start: number; end: number }>("TextRange").implement({
  description: "A part of a text: from start (inclusive) to end (exclusive), in UTF-16 code units.",
  fields: (t) => ({ start: t.exposeInt("start"), end: t.exposeInt("end") }),
});

const SearchHit = builder.objectRef<Hit>("SearchHit").implement({
  description: "A chat whose title, or a message whose text, contains the words searched for.",
  fields: (t) => ({
    chat: t.prismaField({ type: "Chat", resolve: (_query, hit) => hit.chat }),
    message: t.prismaField({ type: "Message", nullable: true, description: "The message found; null when the chat's title matched.", resolve: (_query, hit) => hit.message }),
    snippet: t.exposeString("snippet", { description: "The title, or a short piece of the message around the first match (plain text)." }),
    highlights: t.field({ type: [TextRange], description: "Where the words searched for are in the snippet.", resolve: (hit) => hit.highlights }),
  }),
});

builder.queryField("search", (t) =>
  t.field({
    type: [SearchHit],
    description:
      "The viewer's chats whose title, and messages whose text, contain every word of query (whole words, the last one also as the start of a word; case ignored, and accents where the database's index folds them): matching titles first, then messages, newest first.",
    args: { query: t.arg.string(), first: t.arg.int({ required: false, defaultValue: 20 }) },
    resolve: async (_root, { query, first }, ctx) => {
      const viewer = requireViewer(ctx);
      const limit = Math.max(0, Math.min(first ?? 20, MAX_SEARCH_RESULTS));
      const found = await ctx.app.search.find(viewer.id, query, limit);
      // Loaded through the viewer's fence as well: the search only ever hands back ids.
      const chatIds = [...new Set([...found.chatIds, ...found.messages.map((m) => m.chatId)])];
      const [chats, messages] = await Promise.all([
        chatIds.length ? ctx.db.chat.findMany({ where: { id: { in: chatIds } } }) : [],
        found.messages.length ? ctx.db.message.findMany({ where: { id: { in: found.messages.map((m) => m.messageId) } } }) : [],
      ]);
      const chatById = new Map(chats.map((chat) => [chat.id, chat]));
      const messageById = new Map(messages.map((message) => [message.id, message]));
      const hits: Hit[] = [];
      for (const chatId of found.chatIds) {
        const chat = chatById.get(chatId);
        if (chat) hits.push({ chat, message: null, ...snippetOf(chat.title, found.terms) });
      }
      for (const { messageId, chatId } of found.messages) {
        const chat = chatById.get(chatId);
        const message = messageById.get(messageId);
        if (chat && message) hits.push({ chat, message, ...snippetOf(message.content, found.terms) });
      }
      return hits.slice(0, limit);
    },
  }),
);
