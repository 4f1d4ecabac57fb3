import {
  createMemory,
  deleteMemory,
  forgetAllMemories,
  MAX_MEMORY_CHARS,
  type MemorySettings as MemorySettingsValue,
  memorySettingsOf,
  updateMemory,
  updateMemorySettings,
} from "../memory/index.ts";
import { builder } from "./builder.ts";
import { type GraphQLContext, requireViewer } from "./context.ts";

/** Matches taken from the full-text index for one search; more than anyone pages through. */
const SEARCH_LIMIT = 500;

builder.prismaObject("Memory", {
  description: "Something the assistant remembers about the viewer, across conversations (when memory is on).",
  fields: (t) => ({
    id: t.exposeID("id"),
    text: t.exposeString("text"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the text last changed." }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "When it was last given to a model with a request." }),
    sourceChatId: t.id({
      nullable: true,
      description: "The chat it was learned in; null when typed on the Memory page, or that chat was deleted.",
      select: { sourceMessage: { select: { chatId: true } } },
      resolve: (memory) => memory.sourceMessage?.chatId ?? null,
    }),
  }),
});

const MemorySettings = builder.objectRef<MemorySettingsValue>("MemorySettings").implement({
  description: "Whether the assistant remembers the viewer across conversations.",
  fields: (t) => ({
    enabled: t.exposeBoolean("enabled", {
      description: "On: exchanges (glasses, web, API) are learned from, and relevant memories go with each request. Off by default.",
    }),
    embeddingModel: t.string({
      nullable: true,
      description: "The embedding model asked of your model's provider to find memories by meaning; null: by words alone.",
      resolve: (_settings, _args, ctx: GraphQLContext) => ctx.app.memory.embeddingModel,
    }),
    maxTextLength: t.int({ description: "The longest text a memory may have.", resolve: () => MAX_MEMORY_CHARS }),
  }),
});

const MemorySettingsInput = builder.inputType("MemorySettingsInput", {
  fields: (t) => ({
    enabled: t.boolean({ required: false }),
  }),
});

builder.queryFields((t) => ({
  memories: t.prismaConnection({
    type: "Memory",
    cursor: "id",
    description: "The viewer's memories, most recently changed first; `search` keeps those whose words match (word prefixes, any word).",
    args: { search: t.arg.string({ required: false }) },
    totalCount: async (_connection, { search }, ctx) => {
      const viewer = requireViewer(ctx);
      return ctx.db.memory.count({ where: { userId: viewer.id, ...(await searchFilter(ctx, viewer.id, search)) } });
    },
    resolve: async (query, _root, { search }, ctx) => {
      const viewer = requireViewer(ctx);
      return ctx.db.memory.findMany({
        ...query,
        where: { userId: viewer.id, ...(await searchFilter(ctx, viewer.id, search)) },
        orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
      });
    },
  }),
  memorySettings: t.field({
    type: MemorySettings,
    resolve: (_root, _args, ctx) => memorySettingsOf(ctx.db, requireViewer(ctx).id),
  }),
}));

/** `search` as a filter: the ids the full-text index finds (memory service, per user). */
async function searchFilter(ctx: GraphQLContext, userId: string, search: string | null | undefined) {
  if (!search?.trim()) return {};
  const found = await ctx.app.memory.search(userId, search, SEARCH_LIMIT);
  return { id: { in: found.map((m) => m.id) } };
}

builder.mutationFields((t) => ({
  updateMemorySettings: t.field({
    type: MemorySettings,
    args: { input: t.arg({ type: MemorySettingsInput }) },
    resolve: (_root, { input }, ctx) => updateMemorySettings(ctx.db, requireViewer(ctx).id, input),
  }),
  createMemory: t.prismaField({
    type: "Memory",
    description: "Adds a memory (the same text twice is one memory).",
    args: { text: t.arg.string() },
    resolve: (_query, _root, { text }, ctx) => createMemory(ctx.db, requireViewer(ctx).id, text),
  }),
  updateMemory: t.prismaField({
    type: "Memory",
    args: { id: t.arg.id(), text: t.arg.string() },
    resolve: (_query, _root, { id, text }, ctx) => {
      requireViewer(ctx);
      return updateMemory(ctx.db, String(id), text);
    },
  }),
  deleteMemory: t.id({
    description: "Deletes one memory. Returns the id.",
    args: { id: t.arg.id() },
    resolve: async (_root, { id }, ctx) => {
      requireViewer(ctx);
      await deleteMemory(ctx.db, String(id));
      return id;
    },
  }),
  forgetAllMemories: t.int({
    description: "Deletes every memory of the viewer (memory stays on or off as it was). Returns how many were deleted.",
    resolve: (_root, _args, ctx) => forgetAllMemories(ctx.db, requireViewer(ctx).id),
  }),
}));
