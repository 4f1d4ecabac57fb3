import { queryFromInfo } from "@pothos/plugin-prisma";
import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";
import { branchWindow, createChat, deleteChat, renameChat, switchVersion } from "../chats/index.ts";
import { notFound } from "../errors.ts";
import type { Db } from "../db/client.ts";
import type { Chat, Message } from "../db/generated/sqlite/client.ts";
import { builder } from "./builder.ts";
import { type GraphQLContext, requireViewer } from "./context.ts";
import { openCursor, page, prismaPage, sealCursor } from "./pages.ts";

export const ChatSourceEnum = builder.enumType("ChatSource", { values: ["WEB", "API", "GLASSES"] as const });
const MessageRoleEnum = builder.enumType("MessageRole", { values: ["SYSTEM", "USER", "ASSISTANT"] as const });
export const MessageStatusEnum = builder.enumType("MessageStatus", { values: ["COMPLETE", "STREAMING", "FAILED", "CANCELLED"] as const });

/** Versions already known for a row (the branch page read the chat's tree); else one query per parent. */
const VERSIONS = Symbol("versionIds");
type MessageRow = Message & { [VERSIONS]?: string[] };

/** Per request: the versions of each parent's children, read once however many messages ask. */
const versionLoads = new WeakMap<GraphQLContext, Map<string, Promise<string[]>>>();
function versionsOf(ctx: GraphQLContext, db: Db, message: MessageRow): Promise<string[]> {
  const known = message[VERSIONS];
  if (known) return Promise.resolve(known);
  const loads = versionLoads.get(ctx) ?? new Map<string, Promise<string[]>>();
  versionLoads.set(ctx, loads);
  const key = `${message.chatId}/${message.parentId ?? ""}`;
  let load = loads.get(key);
  if (!load) {
    load = db.message
      .findMany({ where: { chatId: message.chatId, parentId: message.parentId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true } })
      .then((rows) => rows.map((row) => row.id));
    loads.set(key, load);
  }
  return load;
}

const MessageRef = builder.prismaObject("Message", {
  fields: (t) => ({
    id: t.exposeID("id"),
    parentId: t.exposeID("parentId", {
      nullable: true,
      description: "The message this one follows (a reply's question, a question's previous reply); null for a chat's first message.",
    }),
    versionIds: t.idList({
      description:
        "This message and its other versions (edits of a question, regenerated replies: the messages with the same parent), oldest first. Show one with switchVersion.",
      resolve: (message, _args, ctx) => versionsOf(ctx, ctx.db, message),
    }),
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
    messages: t.connection({
      type: MessageRef,
      description:
        "The conversation shown: the branch from the first message to the chat's current leaf (one version of each message), oldest first. " +
        "Without arguments the newest 50; `last`/`before` page back, `first`/`after` forward, `around` (a message id) centres a page on one message. " +
        "Cursors are valid only for this chat and viewer.",
      args: { around: t.arg.id({ required: false, description: "A message of the branch shown to put in the middle of the page." }) },
      resolve: async (chat, args, ctx, info) => {
        // Signed for this chat and viewer (pages.ts): anything else is refused before any query.
        const scope = `Chat.messages:${chat.id}`;
        const window = await branchWindow(ctx.db, ctx.app.branches, chat, {
          first: args.first,
          after: openCursor(ctx, scope, args, "after"),
          last: args.last,
          before: openCursor(ctx, scope, args, "before"),
          around: args.around == null ? null : String(args.around),
        });
        const query = queryFromInfo({ context: ctx, info, typeName: "Message", path: ["edges", "node"] });
        const rows: MessageRow[] = window.ids.length ? await ctx.db.message.findMany({ ...query, where: { chatId: chat.id, id: { in: window.ids } } }) : [];
        const byId = new Map(rows.map((row) => [row.id, row]));
        const edges = window.ids.flatMap((id) => {
          const node = byId.get(id);
          if (!node) return [];
          node[VERSIONS] = window.versions.get(id) ?? [id];
          return [{ cursor: sealCursor(ctx, scope, id), node }];
        });
        return {
          edges,
          pageInfo: {
            hasPreviousPage: window.hasPreviousPage,
            hasNextPage: window.hasNextPage,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    }),
  }),
});

/** Chat's fields that read one column of the row as it is, and nothing else. */
const CHAT_COLUMN_FIELDS = new Set(["id", "title", "source", "createdAt", "updatedAt"]);

/**
 * The columns a `chats` page needs when its nodes ask for plain columns only (the chat list:
 * id and title): a narrower read than the whole row Pothos' query asks for (reading and
 * mapping 10 columns × 21 rows was ~15% of the request's CPU). Anything else under
 * `node` (model, messages, an unknown fragment) gives null: the full query is used, as before.
 */
function scalarChatSelect(info: GraphQLResolveInfo): ReturnType<typeof queryFromInfo> | null {
  // Per field of a parsed document (Yoga's parser cache hands out the same nodes for the same
  // query text). Directives are not read: the columns are the same whatever the variables.
  // A field merged from several places (fragments) is walked each time: one node is not its key.
  const key = info.fieldNodes.length === 1 ? info.fieldNodes[0]! : null;
  let columns = key ? chatColumnsByField.get(key) : undefined;
  if (columns === undefined) {
    columns = chatColumns(info);
    if (key) chatColumnsByField.set(key, columns);
  }
  return columns && { select: { ...columns } };
}

const chatColumnsByField = new WeakMap<FieldNode, Record<string, boolean> | null>();

function chatColumns(info: GraphQLResolveInfo): Record<string, boolean> | null {
  const select: Record<string, boolean> = { id: true };
  const fieldsOf = (set: SelectionSetNode | undefined, visit: (name: string, sub: SelectionSetNode | undefined) => boolean): boolean => {
    if (!set) return true;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!visit(selection.name.value, selection.selectionSet)) return false;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!fieldsOf(selection.selectionSet, visit)) return false;
      } else {
        const fragment = info.fragments[selection.name.value];
        if (!fragment || !fieldsOf(fragment.selectionSet, visit)) return false;
      }
    }
    return true;
  };
  const node = (name: string): boolean => {
    if (name === "__typename") return true;
    if (!CHAT_COLUMN_FIELDS.has(name)) return false;
    select[name] = true;
    return true;
  };
  const edge = (name: string, sub: SelectionSetNode | undefined): boolean => (name === "node" ? fieldsOf(sub, node) : true);
  const connection = (name: string, sub: SelectionSetNode | undefined): boolean => (name === "edges" ? fieldsOf(sub, edge) : true);
  for (const field of info.fieldNodes) if (!fieldsOf(field.selectionSet, connection)) return null;
  return select;
}

const CreateChatInput = builder.inputType("CreateChatInput", {
  fields: (t) => ({
    title: t.string({ required: false }),
    modelId: t.id({ required: false }),
  }),
});

builder.queryFields((t) => ({
  chats: t.connection({
    type: ChatRef,
    description: "The viewer's chats, most recently active first; `source` keeps those from one place (web, glasses, API).",
    args: { source: t.arg({ type: ChatSourceEnum, required: false }) },
    resolve: (_root, args, ctx, info) => {
      const viewer = requireViewer(ctx);
      // The filter is part of the list: a cursor from the glasses chats is not one for all chats.
      // A narrowed row holds every column its node's fields read (scalarChatSelect), hence the cast.
      return page(
        ctx,
        `chats:${args.source ?? "ALL"}`,
        args,
        (query) =>
          ctx.db.chat.findMany({
            ...(scalarChatSelect(info) ?? queryFromInfo({ context: ctx, info, path: ["edges", "node"], typeName: "Chat" })),
            where: { userId: viewer.id, ...(args.source ? { source: args.source } : {}) },
            orderBy: query.inverted ? [{ updatedAt: "asc" }, { id: "asc" }] : [{ updatedAt: "desc" }, { id: "desc" }],
            ...prismaPage(query),
          }) as unknown as Promise<Chat[]>,
      );
    },
  }),
  chat: t.prismaField({
    type: "Chat",
    args: { id: t.arg.id() },
    resolve: async (query, _root, { id }, ctx) => {
      requireViewer(ctx);
      // One read: the chat with what the query selects, or NOT_FOUND (another user's chat reads as none).
      const chat = await ctx.db.chat.findUnique({ ...query, where: { id: String(id) } });
      if (!chat) throw notFound("Chat");
      return chat;
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
  switchVersion: t.prismaField({
    type: "Chat",
    description:
      "Shows the version of the conversation that contains the message (one of a message's versionIds, or a search hit): the chat's messages then follow it, down to its newest reply. A message already shown changes nothing.",
    args: { messageId: t.arg.id() },
    resolve: (_query, _root, { messageId }, ctx) => {
      requireViewer(ctx);
      return switchVersion(ctx.db, String(messageId));
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
