/**
 * Replies: sending a message, regenerating, cancelling, following a reply as it
 * streams, and ending replies a crash left behind. No request context here: callers
 * pass the viewer's fenced client (accounts/fence.ts), and generation runs in the
 * background on the owner's fenced client, outliving the request that started it.
 */
import type { ImageUpload } from "../attachments/index.ts";
import { checkMessageContent, createChat, DEFAULT_CHAT_TITLE, loadTree, type MessageTree, titleFromMessage } from "../chats/index.ts";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel, Chat, Message } from "../db/generated/sqlite/client.ts";
import type { Config } from "../env.ts";
import { AppError, invalidInput, notFound } from "../errors.ts";
import { getModel } from "../models/index.ts";
import { inProcessBus, type ReplyBus, redisBus } from "./bus.ts";
import { checkpointWriter } from "./checkpoint.ts";
import type { HistoryMessage } from "./conversation.ts";
import { generateReply } from "./generator.ts";
import { readBranch } from "./history.ts";
import { endOf, type ReplyEnd, type ReplyEvent, ReplyHub } from "./hub.ts";
import { INTERRUPTED } from "./provider-errors.ts";

/** How long cancelReply waits for the generating instance to confirm. */
export const CANCEL_TIMEOUT_MS = 5000;
/** How long start-up waits for Redis (REDIS_URL) before giving up. */
export const REDIS_READY_TIMEOUT_MS = 10_000;

export interface SentMessage {
  chat: Chat;
  message: Message;
  reply: Message;
}

export interface ReplyServiceDeps {
  rootDb: Db;
  secrets: SecretBox;
  config: Pick<Config, "replies" | "redisUrl" | "database">;
  /** Defaults to Redis when config.redisUrl is set, else in process. */
  bus?: ReplyBus;
  log?: (line: string) => void;
}

/**
 * Messages left STREAMING by a crash become FAILED with the error "interrupted",
 * keeping the text of their last checkpoint. With one instance every STREAMING message
 * at start-up is such a leftover. With several (Redis), another instance may be
 * generating some of them: pass `staleBefore`, and only replies whose last write is
 * older are ended (see ReplyService.staleAfterMs). Returns the ids it ended.
 */
export async function recoverInterruptedReplies(db: Db, options: { staleBefore?: Date; except?: string[] } = {}): Promise<string[]> {
  const { staleBefore, except = [] } = options;
  const where = {
    status: "STREAMING" as const,
    ...(except.length ? { id: { notIn: except } } : {}),
    ...(staleBefore
      ? { OR: [{ checkpointAt: { lt: staleBefore } }, { checkpointAt: null, createdAt: { lt: staleBefore } }] }
      : {}),
  };
  const stale = await db.message.findMany({ where, select: { id: true } });
  if (stale.length === 0) return [];
  const ids = stale.map((m) => m.id);
  await db.message.updateMany({ where: { ...where, id: { in: ids } }, data: { status: "FAILED", error: INTERRUPTED, checkpointAt: null } });
  return ids;
}

export type ReplyService = ReturnType<typeof createReplyService>;

export function createReplyService(deps: ReplyServiceDeps) {
  const { rootDb, secrets, config } = deps;
  const log = deps.log ?? ((line: string) => console.log(`[aiui] ${line}`));
  const bus = deps.bus ?? (config.redisUrl ? redisBus(config.redisUrl, log) : inProcessBus());
  const hub = new ReplyHub(bus);
  const settings = config.replies;
  /**
   * A live reply writes at least once per checkpoint interval while text flows, and
   * waits at most the first-token or idle timeout otherwise; one quiet for longer than
   * all of that (plus a margin) has no instance behind it.
   */
  const staleAfterMs = Math.max(settings.firstTokenTimeoutMs, settings.idleTimeoutMs) + settings.checkpointMs + 30_000;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;

  const writeCheckpoint = checkpointWriter(rootDb, config.database.provider);

  /** `db`: the owner's fenced client (the request's); the reply outlives the request, the client does not depend on it. */
  function start(db: Db, reply: Message, model: AiModel, chatId: string, history: HistoryMessage[]): void {
    const live = hub.begin(reply.id);
    const job = { messageId: reply.id, chatId, model, startedAt: performance.now(), history };
    // Not awaited: the reply outlives the request. generateReply never throws.
    void generateReply(job, live, { db, replyDb: rootDb, writeCheckpoint, secrets, settings }).catch((error) => {
      console.error(`Reply ${reply.id} crashed:`, error);
      live.finish({ status: "FAILED", error: INTERRUPTED, usage: null, firstTokenMs: null, latencyMs: null, length: live.text.length });
    });
  }

  /** The chat with its current model, in one read (the send path is the time to first token). */
  async function chatWithModel(db: Db, chatId: string): Promise<Chat & { model: AiModel | null }> {
    const chat = await db.chat.findUnique({ where: { id: chatId }, include: { model: true } });
    if (!chat) throw notFound("Chat");
    return chat;
  }

  async function modelFor(db: Db, chat: Chat & { model: AiModel | null }, modelId: string | null | undefined): Promise<AiModel> {
    const id = modelId ?? chat.modelId;
    if (!id) throw invalidInput("modelId", "This chat has no model: choose one.");
    const model = id === chat.model?.id ? chat.model : await getModel(db, id);
    if (!model.active) throw invalidInput("modelId", `The model "${model.name}" is switched off: switch it on or choose another.`);
    return model;
  }

  /**
   * Chats with a send or regenerate between its streaming check and its reply's insert:
   * a double click must not start two replies. (Across instances the window remains.)
   */
  const starting = new Set<string>();
  async function exclusively<T>(chatId: string, work: () => Promise<T>): Promise<T> {
    if (starting.has(chatId)) throw new AppError("CONFLICT", "A reply is still being written in this chat: wait for it or cancel it.");
    starting.add(chatId);
    try {
      return await work();
    } finally {
      starting.delete(chatId);
    }
  }

  /**
   * The chat's message tree, refused while a reply is still being written in it: one read
   * (ids only) that tells the branch to answer, the chat's first message, and whether it is
   * busy. The send path is the time to first token.
   */
  async function idleTree(db: Db, chatId: string): Promise<MessageTree> {
    const tree = await loadTree(db, chatId);
    if (tree.streaming) throw new AppError("CONFLICT", "A reply is still being written in this chat: wait for it or cancel it.");
    return tree;
  }

  /** Chats from the glasses stay as they happened (the Noa app keeps its own history): no versions. */
  function refuseVersionsIn(chat: Chat, field: string): void {
    if (chat.source === "GLASSES") {
      throw invalidInput(field, "Chats from your glasses keep their messages as they happened: continue with a new message instead.");
    }
  }

  /**
   * Stores the user's message after `parentId` (with its pictures) and an empty STREAMING reply
   * after it, makes the reply the chat's current leaf and starts generating it.
   */
  async function ask(
    db: Db,
    chat: Chat,
    model: AiModel,
    question: { parentId: string | null; content: string; images: ImageUpload[] },
    tree: MessageTree,
    chatChanges: { title?: string },
  ): Promise<SentMessage> {
    const history = await readBranch(db, tree, question.parentId, model.supportsImages);
    const { images } = question;
    const message = await db.message.create({
      data: {
        chatId: chat.id,
        parentId: question.parentId,
        role: "USER",
        content: question.content,
        status: "COMPLETE",
        ...(images.length
          ? { attachments: { create: images.map((image) => ({ mimeType: image.mimeType, byteSize: image.bytes.byteLength, data: image.bytes })) } }
          : {}),
      },
    });
    // One millisecond later, so the reply sorts after the question on every database.
    const reply = await db.message.create({
      data: { chatId: chat.id, parentId: message.id, role: "ASSISTANT", content: "", status: "STREAMING", createdAt: new Date(message.createdAt.getTime() + 1) },
    });
    const asked: HistoryMessage = {
      role: "USER",
      content: question.content,
      status: "COMPLETE",
      ...(images.length ? (model.supportsImages ? { images: images.map((i) => ({ mimeType: i.mimeType, data: i.bytes })) } : { unseenImages: images.length }) : {}),
    };
    start(db, reply, model, chat.id, [...history, asked]);
    const updated = await db.chat.update({
      where: { id: chat.id },
      data: { ...chatChanges, currentLeafId: reply.id, ...(model.id !== chat.modelId ? { modelId: model.id } : {}), updatedAt: new Date() },
    });
    return { chat: updated, message, reply };
  }

  return {
    hub,
    bus,
    staleAfterMs,

    /**
     * Stores the user's message first, then the reply in state STREAMING, and starts
     * generating in the background. Without `chatId` a new chat is started with the model
     * `modelId`, titled after the message. `db` is the viewer's fenced client.
     */
    async sendMessage(
      db: Db,
      input: { ownerId: string; chatId?: string | null; content: string; modelId?: string | null; images?: ImageUpload[] },
    ): Promise<SentMessage> {
      const content = checkMessageContent(input.content);
      const images = input.images ?? [];
      if (input.chatId == null) {
        if (!input.modelId) throw invalidInput("modelId", "Choose a model for the new chat.");
        const model = await getModel(db, input.modelId);
        if (!model.active) throw invalidInput("modelId", `The model "${model.name}" is switched off: switch it on or choose another.`);
        const chat = await createChat(db, input.ownerId, { title: titleFromMessage(content), modelId: model.id });
        return ask(db, chat, model, { parentId: null, content, images }, await idleTree(db, chat.id), {});
      }
      const chat = await chatWithModel(db, input.chatId);
      const model = await modelFor(db, chat, input.modelId);
      return exclusively(chat.id, async () => {
        const tree = await idleTree(db, chat.id);
        const firstUserMessage = chat.title === DEFAULT_CHAT_TITLE && !tree.hasUserMessage();
        const parentId = tree.leaf(chat.currentLeafId)?.id ?? null;
        return ask(db, chat, model, { parentId, content, images }, tree, firstUserMessage ? { title: titleFromMessage(content) } : {});
      });
    },

    /**
     * A new version of one of the user's messages: stored next to the original (same
     * parent, with the original's pictures), answered by a new reply, and shown from now on.
     * The original and its replies stay, one version back.
     */
    async editMessage(db: Db, input: { messageId: string; content: string; modelId?: string | null }): Promise<SentMessage> {
      const content = checkMessageContent(input.content);
      const original = await db.message.findUnique({
        where: { id: input.messageId },
        select: { chatId: true, parentId: true, role: true, attachments: { select: { mimeType: true, data: true } } },
      });
      if (!original) throw notFound("Message");
      if (original.role !== "USER") throw invalidInput("messageId", "Only your own messages can be edited; regenerate a reply instead.");
      const chat = await chatWithModel(db, original.chatId);
      refuseVersionsIn(chat, "messageId");
      const model = await modelFor(db, chat, input.modelId);
      const images = original.attachments
        .filter((attachment) => attachment.mimeType.startsWith("image/"))
        .map((attachment) => ({ mimeType: attachment.mimeType, bytes: new Uint8Array(attachment.data) }));
      return exclusively(chat.id, async () => {
        const tree = await idleTree(db, chat.id);
        return ask(db, chat, model, { parentId: original.parentId, content, images }, tree, {});
      });
    },

    /**
     * A new reply to a question, next to the earlier ones (they stay, as versions): by default
     * to the question of the chat's last reply (or to a last question left without one);
     * `messageId` names another reply to redo. The new reply is shown from now on.
     */
    async regenerate(db: Db, input: { chatId: string; messageId?: string | null; modelId?: string | null }): Promise<Message> {
      const chat = await chatWithModel(db, input.chatId);
      if (input.messageId != null) refuseVersionsIn(chat, "messageId");
      const model = await modelFor(db, chat, input.modelId);
      const { history, reply } = await exclusively(chat.id, async () => {
        const tree = await idleTree(db, chat.id);
        const target = input.messageId != null ? tree.nodes.get(input.messageId) : tree.leaf(chat.currentLeafId);
        if (input.messageId != null && target?.role !== "ASSISTANT") throw notFound("Reply");
        const question = target?.role === "ASSISTANT" ? tree.parentOf(target) : target;
        if (question?.role !== "USER") throw invalidInput("chatId", "This chat has no message to answer yet.");
        // A reply that answered nothing useful (failed, or nothing at all) in a chat from the
        // glasses is replaced: those chats stay linear. Elsewhere earlier replies stay as versions.
        if (chat.source === "GLASSES" && target?.role === "ASSISTANT") await db.message.delete({ where: { id: target.id } });
        const history = await readBranch(db, tree, question.id, model.supportsImages);
        const reply = await db.message.create({
          data: { chatId: chat.id, parentId: question.id, role: "ASSISTANT", content: "", status: "STREAMING" },
        });
        return { history, reply };
      });
      start(db, reply, model, chat.id, history);
      await db.chat.update({
        where: { id: chat.id },
        data: { currentLeafId: reply.id, updatedAt: new Date(), ...(model.id !== chat.modelId ? { modelId: model.id } : {}) },
      });
      return reply;
    },

    /**
     * Stops a streaming reply wherever it is being generated: the provider request is
     * aborted and the reply keeps its text as CANCELLED. A reply that already ended is
     * returned as it is.
     */
    async cancelReply(db: Db, messageId: string): Promise<Message> {
      const message = await db.message.findUnique({ where: { id: messageId } });
      if (!message) throw notFound("Message");
      if (message.status !== "STREAMING") return message;
      const end = await hub.cancel(messageId, CANCEL_TIMEOUT_MS);
      if (!end) {
        // No instance generates it (it died with one): end it here, keeping its checkpoint.
        const { count } = await db.message.updateMany({ where: { id: messageId, status: "STREAMING" }, data: { status: "CANCELLED", checkpointAt: null } });
        const stored = await db.message.findUnique({ where: { id: messageId } });
        if (count > 0 && stored) hub.announceEnd(messageId, endOf(stored));
      }
      const stored = await db.message.findUnique({ where: { id: messageId } });
      if (!stored) throw notFound("Message");
      return stored;
    },

    /** The events of a reply for a viewer: NOT_FOUND unless their fence lets them read it. */
    async follow(db: Db, messageId: string): Promise<AsyncIterableIterator<ReplyEvent>> {
      const read = () => db.message.findUnique({ where: { id: messageId } });
      const message = await read();
      if (!message) throw notFound("Message");
      return hub.follow(message, read);
    },

    /** Start-up: end the replies a previous run left STREAMING; with Redis, keep sweeping. */
    async recover(): Promise<string[]> {
      if (bus.distributed) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis at REDIS_URL does not answer within ${REDIS_READY_TIMEOUT_MS / 1000} s; start it or unset REDIS_URL.`)), REDIS_READY_TIMEOUT_MS);
        });
        await Promise.race([hub.ready(), timeout]).finally(() => clearTimeout(timer));
      }
      if (!bus.distributed) return recoverInterruptedReplies(rootDb);
      const sweep = async () => {
        const ended = await recoverInterruptedReplies(rootDb, { staleBefore: new Date(Date.now() - staleAfterMs), except: hub.activeIds() });
        for (const id of ended) {
          const stored = await rootDb.message.findUnique({ where: { id } });
          if (stored && stored.status !== "STREAMING") hub.announceEnd(id, endOf(stored));
        }
        return ended;
      };
      sweepTimer ??= setInterval(() => void sweep().catch((error) => console.error("Sweeping stale replies failed:", error)), staleAfterMs / 2);
      sweepTimer.unref?.();
      return sweep();
    },

    /** Shutdown: every local reply ends FAILED "interrupted" with its text written; then the bus closes. */
    async close(): Promise<void> {
      clearInterval(sweepTimer);
      await hub.stopAll("shutdown");
      await hub.close();
      await bus.close();
    },
  };
}

export type { ReplyEnd, ReplyEvent };
