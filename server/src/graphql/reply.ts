import { checkImages, MAX_IMAGE_BYTES, MAX_IMAGES_PER_MESSAGE } from "../attachments/index.ts";
import type { Chat, Message } from "../db/generated/sqlite/client.ts";
import { MAX_MESSAGE_LENGTH } from "../chats/index.ts";
import type { ReplyEvent, ReplyUsage } from "../generation/index.ts";
import { builder } from "./builder.ts";
import { MessageStatusEnum } from "./chat.ts";
import { requireViewer } from "./context.ts";
import { FileScalar } from "./file.ts";
import { followedEvents } from "./reply-stream.ts";

const SendMessagePayload = builder.objectRef<{ chat: Chat; message: Message; reply: Message }>("SendMessagePayload").implement({
  fields: (t) => ({
    chat: t.prismaField({ type: "Chat", description: "The chat, with its new title if this was its first message.", resolve: (_q, p) => p.chat }),
    message: t.prismaField({ type: "Message", description: "The user's message, stored.", resolve: (_q, p) => p.message }),
    reply: t.prismaField({
      type: "Message",
      description: "The assistant's reply, STREAMING: follow it with the replyStream subscription.",
      resolve: (_q, p) => p.reply,
    }),
  }),
});

const ReplyUsageRef = builder.objectRef<ReplyUsage>("ReplyUsage").implement({
  fields: (t) => ({
    promptTokens: t.exposeInt("promptTokens"),
    completionTokens: t.exposeInt("completionTokens"),
    estimated: t.exposeBoolean("estimated", { description: "True when the provider reported no usage and these counts are an estimate." }),
    cost: t.exposeFloat("cost", { description: "From the model's prices per 1M tokens." }),
  }),
});

const ReplyEventRef = builder.objectRef<ReplyEvent>("ReplyEvent").implement({
  description:
    "A piece of a reply. The first event a subscriber gets carries all the text so far; each later one continues exactly where the previous ended (offset). The last has done: true, the final status, and usage.",
  fields: (t) => ({
    messageId: t.exposeID("messageId"),
    offset: t.exposeInt("offset", { description: "Where delta starts in the reply's text (UTF-16 code units)." }),
    delta: t.exposeString("delta", { description: "Text added since the previous event; may be empty on the last event." }),
    status: t.expose("status", { type: MessageStatusEnum, description: "STREAMING until the last event." }),
    done: t.exposeBoolean("done"),
    error: t.exposeString("error", { nullable: true, description: "Why the reply failed, in words a user can act on (last event)." }),
    usage: t.field({ type: ReplyUsageRef, nullable: true, description: "Token usage and cost (last event; null when the provider never took the request).", resolve: (e) => e.usage }),
    firstTokenMs: t.exposeInt("firstTokenMs", { nullable: true }),
    latencyMs: t.exposeInt("latencyMs", { nullable: true }),
  }),
});

builder.mutationFields((t) => ({
  sendMessage: t.field({
    type: SendMessagePayload,
    description:
      `Stores the message (at most ${MAX_MESSAGE_LENGTH} characters) after the chat's current leaf and starts the model's reply in the background. ` +
      "Without chatId a new chat is started with the model modelId; with it, modelId switches the chat's model. " +
      `images: up to ${MAX_IMAGES_PER_MESSAGE} JPEG, PNG or WebP pictures of at most ${MAX_IMAGE_BYTES / 1048576} MB each, sent as a multipart request (GraphQL multipart request spec).`,
    args: {
      chatId: t.arg.id({ required: false }),
      content: t.arg.string(),
      modelId: t.arg.id({ required: false }),
      images: t.arg({ type: [FileScalar], required: false }),
    },
    resolve: async (_root, { chatId, content, modelId, images }, ctx) => {
      const viewer = requireViewer(ctx);
      const pictures = await checkImages(images ?? []);
      return ctx.app.replies.sendMessage(ctx.db, {
        ownerId: viewer.id,
        chatId: chatId == null ? null : String(chatId),
        content,
        modelId: modelId == null ? null : String(modelId),
        images: pictures,
        // The remembered viewer is current (any change to it drops it): memory off reads nothing.
        memoryEnabled: viewer.memoryEnabled,
        userBudget: viewer.monthlyBudget,
      });
    },
  }),
  editMessage: t.field({
    type: SendMessagePayload,
    description:
      "Sends a new version of one of the user's messages (keeping its pictures): stored next to the original, answered by a new reply, and shown from now on. The original stays as the previous version.",
    args: { messageId: t.arg.id(), content: t.arg.string(), modelId: t.arg.id({ required: false }) },
    resolve: (_root, { messageId, content, modelId }, ctx) => {
      requireViewer(ctx);
      return ctx.app.replies.editMessage(ctx.db, { messageId: String(messageId), content, modelId: modelId == null ? null : String(modelId) });
    },
  }),
  regenerate: t.prismaField({
    type: "Message",
    description:
      "A new reply (STREAMING) to the question of the chat's last reply, or of the reply messageId; earlier replies stay as versions. modelId switches the chat's model.",
    args: { chatId: t.arg.id(), messageId: t.arg.id({ required: false }), modelId: t.arg.id({ required: false }) },
    resolve: (_query, _root, { chatId, messageId, modelId }, ctx) => {
      requireViewer(ctx);
      return ctx.app.replies.regenerate(ctx.db, {
        chatId: String(chatId),
        messageId: messageId == null ? null : String(messageId),
        modelId: modelId == null ? null : String(modelId),
      });
    },
  }),
  cancelReply: t.prismaField({
    type: "Message",
    description: "Stops a streaming reply; it keeps the text so far and becomes CANCELLED. A finished reply is returned unchanged.",
    args: { messageId: t.arg.id() },
    resolve: (_query, _root, { messageId }, ctx) => {
      requireViewer(ctx);
      return ctx.app.replies.cancelReply(ctx.db, String(messageId));
    },
  }),
}));

builder.subscriptionFields((t) => ({
  replyStream: t.field({
    type: ReplyEventRef,
    description: "Follows a reply: the text so far, then each new piece as the model writes it, then a last event with the final status and usage.",
    args: { messageId: t.arg.id() },
    subscribe: (_root, { messageId }, ctx) => {
      const viewer = requireViewer(ctx);
      return ctx.app.replies.follow(ctx.db, viewer.id, String(messageId)).then((events) => followedEvents(ctx, events));
    },
    // Events are served without running this per event where the selection allows (reply-stream.ts).
    resolve: (event) => event,
  }),
}));
