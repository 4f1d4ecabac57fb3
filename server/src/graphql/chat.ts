import { queryFromInfo } from "@pothos/plugin-prisma";
import { createChat, deleteChat, getChat, renameChat } from "../chats/index.ts";
import { builder } from "./builder.ts";
import { requireViewer } from "./context.ts";
import { page, prismaPage } from "./pages.ts";

const ChatSourceEnum = builder.enumType("ChatSource", { values: ["WEB", "API", "GLASSES"] as const });
const MessageRoleEnum = builder.enumType("MessageRole", { values: ["SYSTEM", "USER", "ASSISTANT"] as const });
export const MessageStatusEnum = builder.enumType("MessageStatus", { values: ["COMPLETE", "STREAMING", "FAILED", "CANCELLED"] as const });

const MessageRef = builder.prismaObject("Message", {
  fields: (t) => ({
    id: t.exposeID("id"),
    role: t.expose("role", { type: MessageRoleEnum }),
    content: t.exposeString("content"),
    status: t.expose("status", { type: MessageStatusEnum }),
    error: t.exposeString("error", { nullable: true, description: "Why the reply failed, in words a user can act on." }),
    promptTokens: t.exposeInt("promptTokens", { nullable: true }),
    completionTokens: t.exposeInt("completionTokens", { nullable: true }),
    cost: t.float({ nullable: true, description: "From the model's prices per 1M tokens.", resolve: (m) => (m.cost === null ? null : Number(m.cost)) }),
    usageEstimated: t.exposeBoolean("usageEstimated", {
      description: "True when the provider reported no usage and promptTokens/completionTokens are an estimate.",
    }),
    firstTokenMs: t.exposeInt("firstTokenMs", { nullable: true, description: "Milliseconds until the first token of the reply." }),
    latencyMs: t.exposeInt("latencyMs", { nullable: true, description: "Milliseconds the whole reply took." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const ChatRef = builder.prismaObject("Chat", {
  fields: (t) => ({
    id: t.exposeID("id"),
    title: t.exposeString("title"),
    source: t.expose("source", { type: ChatSourceEnum }),
    model: t.relation("model", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    // Cursors are signed for this chat and viewer (pages.ts).
    messages: t.connection({
      type: MessageRef,
      description: "Oldest first; `last`/`before` page back from the newest.",
      resolve: (chat, args, ctx, info) =>
        page(ctx, `Chat.messages:${chat.id}`, args, (query) =>
          ctx.db.message.findMany({
            ...queryFromInfo({ context: ctx, info, path: ["edges", "node"], typeName: "Message" }),
            where: { chatId: chat.id },
            orderBy: query.inverted ? [{ createdAt: "desc" }, { id: "desc" }] : [{ createdAt: "asc" }, { id: "asc" }],
            ...prismaPage(query),
          }),
        ),
    }),
  }),
});

const CreateChatInput = builder.inputType("CreateChatInput", {
  fields: (t) => ({
    title: t.string({ required: false }),
    modelId: t.id({ required: false }),
  }),
});

builder.queryFields((t) => ({
  chats: t.connection({
    type: ChatRef,
    description: "The viewer's chats, most recently active first.",
    resolve: (_root, args, ctx, info) => {
      const viewer = requireViewer(ctx);
      return page(ctx, "chats", args, (query) =>
        ctx.db.chat.findMany({
          ...queryFromInfo({ context: ctx, info, path: ["edges", "node"], typeName: "Chat" }),
          where: { userId: viewer.id },
          orderBy: query.inverted ? [{ updatedAt: "asc" }, { id: "asc" }] : [{ updatedAt: "desc" }, { id: "desc" }],
          ...prismaPage(query),
        }),
      );
    },
  }),
  chat: t.prismaField({
    type: "Chat",
    args: { id: t.arg.id() },
    resolve: async (query, _root, { id }, ctx) => {
      requireViewer(ctx);
      await getChat(ctx.db, String(id));
      return ctx.db.chat.findUniqueOrThrow({ ...query, where: { id: String(id) } });
    },
  }),
}));

builder.mutationFields((t) => ({
  createChat: t.prismaField({
    type: "Chat",
    args: { input: t.arg({ type: CreateChatInput, required: false }) },
    resolve: (_query, _root, { input }, ctx) =>
      createChat(ctx.db, requireViewer(ctx).id, { title: input?.title, modelId: input?.modelId == null ? null : String(input.modelId) }),
  }),
  renameChat: t.prismaField({
    type: "Chat",
    args: { id: t.arg.id(), title: t.arg.string() },
    resolve: (_query, _root, { id, title }, ctx) => {
      requireViewer(ctx);
      return renameChat(ctx.db, String(id), title);
    },
  }),
  deleteChat: t.id({
    description: "Deletes the chat and its messages. Returns the id.",
    args: { id: t.arg.id() },
    resolve: async (_root, { id }, ctx) => {
      requireViewer(ctx);
      await deleteChat(ctx.db, String(id));
      return id;
    },
  }),
}));
