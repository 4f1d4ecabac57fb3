/**
 * Replies: sending a message, regenerating, cancelling, following a reply as it
 * streams, and ending replies whose writer is gone. No request context here: callers
 * pass the viewer's fenced client (accounts/fence.ts), and generation runs in the
 * background on the owner's fenced client, outliving the request that started it.
 *
 * One writer per chat, kept by the database (docs/decisions/0008-one-writer-per-chat.md):
 * a reply being written carries its chat's id in `streamingChatId`, whose unique index
 * refuses a second one, on every instance; sending, editing a message and regenerating
 * all claim the chat the same way. A chat is a tree of messages (decision 0012): each new
 * message follows the branch it answers, and the new reply becomes the chat's current leaf. Each writer renews a lease on its rows (the
 * checkpoint time, plus a heartbeat while no text flows); every instance's periodic sweep
 * ends rows whose lease ran out, so a dead writer never locks a chat.
 */
import type { ImageUpload } from "../attachments/index.ts";
import { checkMessageContent, DEFAULT_CHAT_TITLE, loadTree, MessageTree, newChatId, newMessageId, titleFromMessage } from "../chats/index.ts";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel, Chat, ChatSource, Message, MessageStatus, Prisma } from "../db/generated/sqlite/client.ts";
import { isUniqueViolation, isWriteConflict } from "../db/races.ts";
import type { Config } from "../env.ts";
import { AppError, invalidInput, notFound } from "../errors.ts";
import { getModel } from "../models/index.ts";
import { checkBudget, recordUsage } from "../usage/index.ts";
import { inProcessBus, type ReplyBus, redisBus } from "./bus.ts";
import { checkpointWriter } from "./checkpoint.ts";
import type { HistoryMessage } from "./conversation.ts";
import { withRetries } from "./final-write.ts";
import { generateReply, type ReplyOptions } from "./generator.ts";
import { readBranch } from "./history.ts";
import { endOf, type ReplyEnd, type ReplyEvent, ReplyHub, type ReplyUsage } from "./hub.ts";
import { INTERRUPTED, NOT_SAVED, REPLY_IN_PROGRESS } from "./reply-errors.ts";

/** How long cancelReply waits for the generating instance to confirm. */
export const CANCEL_TIMEOUT_MS = 5000;
/** How long start-up waits for Redis (REDIS_URL) before giving up. */
export const REDIS_READY_TIMEOUT_MS = 10_000;

export interface SentMessage {
  /** With its model when the send knows it (GraphQL's `chat { model }` then reads nothing). */
  chat: Chat & { model?: AiModel | null };
  message: Message;
  reply: Message;
}

/** The final state of a reply written outside the hub (a glasses exchange). */
export interface HeldReplyEnd {
  content: string;
  status: Exclude<MessageStatus, "STREAMING">;
  error: string | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  usageEstimated?: boolean;
  cost?: Prisma.Decimal | null;
  latencyMs?: number | null;
}

/** What sendMessage is asked. */
export interface SendInput {
  ownerId: string;
  chatId?: string | null;
  content: string;
  modelId?: string | null;
  images?: readonly ImageUpload[];
  options?: ReplyOptions;
  /** Where a new chat comes from (default WEB; the /v1 API starts API chats). */
  source?: ChatSource;
  /** The model `modelId` names, when the caller has just read it through `db` (saves reading it again). */
  model?: AiModel;
  /** The owner's memory switch, when the caller knows it: off, the reply reads no memory state. */
  memoryEnabled?: boolean;
  /** The owner's monthly budget, when the caller holds the current user row (null: none): the budget check then reads no user. */
  userBudget?: Prisma.Decimal | null;
  /**
   * Messages of the chat the caller has just read, by id: ended (their text no longer
   * changes) and without pictures. When they hold the whole branch answered, the history
   * is not read again (the /v1 API compares the branch before sending).
   */
  knownMessages?: ReadonlyMap<string, HistoryMessage>;
}

/** Whose usage a reply is: the user, the model it was asked of, where the chat is (web, glasses, API). */
export interface UsageOwner {
  userId: string;
  model: AiModel;
  source: ChatSource;
}

export interface ReplyServiceDeps {
  rootDb: Db;
  secrets: SecretBox;
  config: Pick<Config, "replies" | "redisUrl" | "database" | "providerNetwork">;
  /** Defaults to Redis when config.redisUrl is set, else in process. */
  bus?: ReplyBus;
  /** Long-term memory (app.ts plugs in memory/); none: replies neither recall nor learn. */
  memory?: ReplyMemory;
  log?: (line: string) => void;
}

/** What a reply's row becomes when it ends without its writer: FAILED, the last checkpoint's text kept, its chat free. */
const endedWithout = (error: string) => ({ status: "FAILED" as const, error, checkpointAt: null, streamingChatId: null });

/**
 * Ends replies left STREAMING by a writer that is gone: FAILED with the INTERRUPTED
 * sentence, keeping the text of their last checkpoint, and their chat free for the next
 * message. Without `staleBefore`, every STREAMING reply (start-up of the only instance);
 * with it, only those whose lease (checkpoint or heartbeat time, else creation) is older.
 * `except`: replies this instance is writing. Returns the ids it ended.
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
  await db.message.updateMany({ where: { ...where, id: { in: ids } }, data: endedWithout(INTERRUPTED) });
  return ids;
}

export type ReplyService = ReturnType<typeof createReplyService>;

/**
 * What a reply needs of long-term memory: text for its system prompt before the model is
 * asked, and the complete reply afterwards to learn from. Declared here, and met by
 * memory/'s service, so that generation does not depend on memory (memory asks models
 * through generation).
 */
export interface ReplyMemory {
  /** `enabled`: the user's memory switch when the caller knows it (the remembered viewer); false reads nothing. */
  turn(input: { db: Db; userId: string; model: AiModel; conversation: { role: string; content: string }[]; enabled?: boolean }): {
    recall(): Promise<string>;
    learn(answer: string, replyId: string): void;
  };
}

export function createReplyService(deps: ReplyServiceDeps) {
  const { rootDb, secrets, config } = deps;
  const log = deps.log ?? ((line: string) => console.log(`[aiui] ${line}`));
  const bus = deps.bus ?? (config.redisUrl ? redisBus(config.redisUrl, log) : inProcessBus());
  const hub = new ReplyHub(bus);
  const settings = config.replies;
  const { leaseMs } = settings;
  /** Rows this instance writes outside the hub (glasses exchanges waiting for their model): their leases are renewed too. */
  const held = new Set<string>();
  /**
   * Replies this instance ended but could not write (the database refused even a bare
   * FAILED), with the sentence their followers got: the next sweep the database accepts writes them.
   */
  const unwrittenEnds = new Map<string, string>();
  let sweepTimer: ReturnType<typeof setInterval> | undefined;

  const writeCheckpoint = checkpointWriter(rootDb, config.database.provider);
  const writingHere = () => [...hub.activeIds(), ...held];

  /**
   * The heartbeat: one statement renews the lease of every reply this instance writes.
   * Checkpoints renew it too while text flows; this covers a model that thinks, or a
   * glasses exchange waiting for its whole answer.
   */
  const heartbeat = setInterval(() => {
    const ids = writingHere();
    if (ids.length === 0) return;
    void rootDb.message
      .updateMany({ where: { id: { in: ids }, status: "STREAMING" }, data: { checkpointAt: new Date() } })
      .catch((error) => console.error("Renewing the leases of replies being written failed:", error));
  }, leaseMs / 3);
  heartbeat.unref?.();

  /** Ends `ids` for followers on other instances (Redis); local followers read the row. */
  async function announceEnded(ids: Iterable<string>): Promise<void> {
    if (!bus.distributed) return;
    for (const id of ids) {
      const stored = await rootDb.message.findUnique({ where: { id } });
      if (stored && stored.status !== "STREAMING") hub.announceEnd(id, endOf(stored));
    }
  }

  async function writeUnwrittenEnds(): Promise<void> {
    for (const [id, error] of unwrittenEnds) {
      await rootDb.message.updateMany({ where: { id, status: "STREAMING" }, data: endedWithout(error) });
      unwrittenEnds.delete(id);
      await announceEnded([id]);
    }
  }

  /** One sweep: what this instance owes, then every reply (of any instance) whose lease ran out. */
  async function sweep(): Promise<string[]> {
    await writeUnwrittenEnds().catch((error) => console.error("Ending replies that could not be saved failed:", error));
    const ended = await recoverInterruptedReplies(rootDb, { staleBefore: new Date(Date.now() - leaseMs), except: writingHere() });
    await announceEnded(ended);
    return ended;
  }

  /** `db`: the owner's fenced client (the request's); the reply outlives the request, the client does not depend on it. */
  function start(db: Db, reply: Message, model: AiModel, chat: Chat, history: HistoryMessage[], options?: ReplyOptions, memoryEnabled?: boolean): void {
    const live = hub.begin(reply.id, chat.userId);
    const memory = deps.memory?.turn({ db, userId: chat.userId, model, conversation: history, enabled: memoryEnabled });
    const job = { messageId: reply.id, chatId: chat.id, model, startedAt: performance.now(), history, recall: memory && (() => memory.recall()), options };
    const onNotSaved = (id: string) => void unwrittenEnds.set(id, NOT_SAVED);
    // Not awaited: the reply outlives the request. generateReply never throws.
    const onStored = (usage: ReplyUsage) => countUsage({ userId: chat.userId, model, source: chat.source }, usage);
    void generateReply(job, live, { db, replyDb: rootDb, writeCheckpoint, secrets, settings, onNotSaved, network: config.providerNetwork, onStored }).then(
      (end) => {
        if (end.status === "COMPLETE") memory?.learn(live.text, reply.id);
      },
      (error) => {
        console.error(`Reply ${reply.id} crashed:`, error);
        unwrittenEnds.set(reply.id, INTERRUPTED);
        live.finish({ status: "FAILED", error: INTERRUPTED, usage: null, firstTokenMs: null, latencyMs: null, length: live.text.length });
      },
    );
  }

  /** Adds a stored reply to its day's usage (usage/); a failure there is logged, never the reply's. */
  async function countUsage(owner: UsageOwner, usage: { promptTokens: number; completionTokens: number; cost: Prisma.Decimal | number }): Promise<void> {
    await recordUsage(rootDb, {
      userId: owner.userId,
      modelId: owner.model.id,
      modelName: owner.model.name,
      source: owner.source,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cost: usage.cost,
    }).catch((error) => console.error("Counting a reply's usage failed:", error));
  }

  /** A reply's row as its followers read it, through `db` (the viewer's fence). */
  const storedReply = (db: Db, messageId: string) => async () => {
    const row = await db.message.findUnique({ where: { id: messageId } });
    // Ended here, but the database has not taken the end yet: a late follower gets the end the others got.
    const unwritten = row?.status === "STREAMING" ? unwrittenEnds.get(row.id) : undefined;
    return row && unwritten ? { ...row, status: "FAILED" as const, error: unwritten } : row;
  };

  /** The chat with its current model, in one read (the send path is the time to first token). */
  async function chatWithModel(db: Db, chatId: string): Promise<Chat & { model: AiModel | null }> {
    const chat = await db.chat.findUnique({ where: { id: chatId }, include: { model: true } });
    if (!chat) throw notFound("Chat");
    return chat;
  }

  /** The model that answers in `chat`: `modelId` (the chat switches to it) or the chat's own; active, and within budget. */
  async function modelFor(db: Db, chat: Chat & { model: AiModel | null }, modelId: string | null | undefined): Promise<AiModel> {
    const id = modelId ?? chat.modelId;
    if (!id) throw invalidInput("modelId", "This chat has no model: choose one.");
    // A shared model is read again through the fence: the offer may have been withdrawn since the chat chose it.
    const model = activeModel(id === chat.model?.id && !chat.model.shared ? chat.model : await getModel(db, id));
    // Before anything is stored or sent: a spent budget refuses the request (usage/).
    await checkBudget(rootDb, chat.userId, model);
    return model;
  }

  function activeModel(model: AiModel): AiModel {
    if (!model.active) throw invalidInput("modelId", `The model "${model.name}" is switched off: switch it on or choose another.`);
    return model;
  }

  /**
   * The model a send to `chatId` is answered by, active, read through the fence in one
   * statement: `modelId` (the chat switches to it), else the chat's own model, read with the
   * chat's ownership as its condition (no read of the chat: the claim's update reads it,
   * fenced). When that finds nothing (not the owner's chat, no model, a model no longer
   * theirs), the chat and its model are read as before, to say which.
   */
  async function sendingModel(db: Db, ownerId: string, chatId: string, modelId: string | null | undefined, known: AiModel | undefined): Promise<AiModel> {
    if (modelId != null) return activeModel(known?.id === modelId ? known : await getModel(db, modelId));
    const model = await db.aiModel.findFirst({ where: { chats: { some: { id: chatId, userId: ownerId } } } });
    if (model) return activeModel(model);
    const chat = await chatWithModel(db, chatId);
    const id = chat.modelId;
    if (!id) throw invalidInput("modelId", "This chat has no model: choose one.");
    return activeModel(await getModel(db, id));
  }

  // Typed against the SQLite client, which knows only Serializable; the others get read committed (MySQL's default is repeatable read).
  const transactionOptions = {
    maxWait: 10_000,
    timeout: 20_000,
    ...(config.database.provider === "sqlite" ? {} : { isolationLevel: "ReadCommitted" }),
  } as { maxWait: number; timeout: number };

  /**
   * The claim's first write, which locks the chat's row until the transaction ends, and the
   * row as locked. Fenced: another user's chat is not found (P2025, answered NOT_FOUND).
   * MySQL has no RETURNING: Prisma's update would read the row's id, update, then read the
   * row; an updateMany and one read are two statements instead of three.
   */
  async function lockChat(tx: Db, chatId: string, data: { updatedAt: Date; modelId?: string }): Promise<Chat> {
    if (config.database.provider !== "mysql") return tx.chat.update({ where: { id: chatId }, data });
    const { count } = await tx.chat.updateMany({ where: { id: chatId }, data });
    const locked = count > 0 ? await tx.chat.findUnique({ where: { id: chatId } }) : null;
    if (!locked) throw notFound("Chat");
    return locked;
  }

  /**
   * Starting a reply, as one transaction that first updates the chat's row: writers of
   * one chat (on any instance) queue on that row lock, and each then reads the chat as
   * the one before left it (read committed; SQLite runs one transaction at a time). The
   * reply's insert claims the chat (unique streamingChatId); a reply still being
   * written makes it fail, and the caller gets CONFLICT with nothing written.
   * `work` may only reference rows the fenced client has read already (the fence checks
   * others outside the transaction, which SQLite's single connection cannot serve).
   */
  async function startingReply<T>(db: Db, chatId: string, switchTo: { modelId?: string }, work: (tx: Db, locked: Chat) => Promise<T>): Promise<T> {
    try {
      return await db.$transaction(
        async (tx) => {
          const locked = await lockChat(tx as Db, chatId, { updatedAt: new Date(), ...switchTo });
          return work(tx as Db, locked);
        },
        transactionOptions,
      );
    } catch (error) {
      // P2034: MySQL chose this transaction as a deadlock's victim; the other writer won.
      if (isUniqueViolation(error) || isWriteConflict(error)) throw new AppError("CONFLICT", REPLY_IN_PROGRESS);
      if ((error as { code?: unknown } | null)?.code === "P2025") throw notFound("Chat");
      throw error;
    }
  }

  /**
   * The chat's message tree, read inside the claim's transaction: one read (ids, no text)
   * that tells the branch to answer, the chat's first message, and whether a reply is
   * still being written there (one from before the claim column, or a glasses exchange in
   * a chat it just created): then CONFLICT. The send path is the time to first token.
   */
  async function idleTree(db: Db, chatId: string, createdHere = false): Promise<MessageTree> {
    // A chat this request just created has no messages: nothing to read.
    if (createdHere) return new MessageTree(chatId, []);
    const tree = await loadTree(db, chatId);
    if (tree.streaming) throw new AppError("CONFLICT", REPLY_IN_PROGRESS);
    return tree;
  }

  /** Chats from the glasses stay as they happened (the Noa app keeps its own history): no versions. */
  function refuseVersionsIn(chat: Chat, field: string): void {
    if (chat.source === "GLASSES") {
      throw invalidInput(field, "Chats from your glasses keep their messages as they happened: continue with a new message instead.");
    }
  }

  /** After every message of the chat, even one stamped in the same millisecond: versions and the newest message go by time. */
  const nextTime = (tree: MessageTree) => Math.max(Date.now(), (tree.newest?.createdAt.getTime() ?? 0) + 1);

  /** The chat switches to `model` when it is not its model yet. */
  const switching = (chat: Chat, model: AiModel) => (model.id !== chat.modelId ? { modelId: model.id } : {});

  /**
   * Rows as inserted, every column given (so nothing is read back, and MySQL, without
   * RETURNING, needs no read after the insert either). A reply claims its chat
   * (streamingChatId: its insert fails with a unique violation while another reply is being written).
   */
  const row = (fields: Pick<Message, "id" | "chatId" | "parentId" | "role" | "content" | "status" | "createdAt" | "streamingChatId">): Message => ({
    error: null,
    promptTokens: null,
    completionTokens: null,
    cost: null,
    latencyMs: null,
    usageEstimated: false,
    firstTokenMs: null,
    checkpointAt: null,
    ...fields,
  });
  const replyRow = (chatId: string, parentId: string, createdAt: Date) =>
    row({ id: newMessageId(), chatId, parentId, role: "ASSISTANT", content: "", status: "STREAMING", streamingChatId: chatId, createdAt });

  /** Creates the reply row after `parentId`, claiming the chat. */
  const claimingReply = async (tx: Db, chatId: string, parentId: string, createdAt: Date) => {
    const reply = replyRow(chatId, parentId, createdAt);
    await tx.message.createMany({ data: [reply] });
    return reply;
  };

  /**
   * Shows `replyId` from now on: the chat's current leaf, with `changes` (a title, the model)
   * in the same write. `locked`: the chat's row as the claim's transaction locked it; returns it as written.
   */
  async function showing(tx: Db, locked: Chat, replyId: string, changes: { title?: string; modelId?: string } = {}): Promise<Chat> {
    const data = { currentLeafId: replyId, updatedAt: new Date(), ...changes };
    await tx.chat.updateMany({ where: { id: locked.id }, data });
    return { ...locked, ...data };
  }

  const attachmentRows = (images: readonly ImageUpload[]) =>
    images.map((image) => ({ mimeType: image.mimeType, byteSize: image.bytes.byteLength, data: image.bytes }));

  /** The question as the model is sent it: with its pictures for a model that can see, else told how many it misses. */
  const questionAsked = (model: AiModel, content: string, images: readonly ImageUpload[]): HistoryMessage => ({
    role: "USER",
    content,
    status: "COMPLETE",
    ...(images.length ? (model.supportsImages ? { images: images.map((i) => ({ mimeType: i.mimeType, data: i.bytes })) } : { unseenImages: images.length }) : {}),
  });

  /** A question after `parentId` at `at`, and its reply (claiming the chat) a millisecond later. */
  function exchangeRows(chatId: string, parentId: string | null, content: string, at: number) {
    const message = row({ id: newMessageId(), chatId, parentId, role: "USER", content, status: "COMPLETE", createdAt: new Date(at), streamingChatId: null });
    return { message, reply: replyRow(chatId, message.id, new Date(at + 1)) };
  }

  /**
   * Inserts the question and its reply (claiming the chat) in one statement; with pictures,
   * the question is created with them (its id is then known to the fence, which checks the
   * pictures' message) after the reply.
   */
  async function storeExchange(tx: Db, chatId: string, parentId: string | null, content: string, images: readonly ImageUpload[], at: number) {
    const { message, reply } = exchangeRows(chatId, parentId, content, at);
    if (images.length === 0) {
      await tx.message.createMany({ data: [message, reply] });
    } else {
      await tx.message.createMany({ data: [reply] });
      await tx.message.create({ data: { ...message, attachments: { create: attachmentRows(images) } }, select: { id: true } });
    }
    return { message, reply };
  }

  /**
   * Inside the claim's transaction: the reply (claiming the chat) and the user's message
   * after `parentId`, with its pictures; the reply becomes the chat's current leaf. Returns
   * them with the conversation the model is sent: the branch up to the parent, then the question.
   */
  async function asking(
    tx: Db,
    chatId: string,
    model: AiModel,
    tree: MessageTree,
    question: { parentId: string | null; content: string; images: readonly ImageUpload[] },
    known?: ReadonlyMap<string, HistoryMessage>,
  ) {
    const history = await readBranch(tx, tree, question.parentId, model.supportsImages, known);
    const { message, reply } = await storeExchange(tx, chatId, question.parentId, question.content, question.images, nextTime(tree));
    return { message, reply, history: [...history, questionAsked(model, question.content, question.images)] };
  }

  /**
   * A send that starts a chat: the chat, named after the message as a title nobody chose (a
   * rename wins over it), showing the reply, written with the question and the reply in one
   * create. Nobody else knows the chat yet: nothing to lock or claim against, no tree to read.
   */
  async function sendInNewChat(db: Db, input: SendInput, content: string, images: readonly ImageUpload[]): Promise<SentMessage> {
    if (!input.modelId) throw invalidInput("modelId", "Choose a model for the new chat.");
    const model = activeModel(input.model?.id === input.modelId ? input.model : await getModel(db, input.modelId));
    // Before the chat is made: a refused request leaves nothing behind.
    await checkBudget(rootDb, input.ownerId, model, new Date(), input.userBudget);
    const now = new Date();
    const { message, reply } = exchangeRows(newChatId(), null, content, now.getTime());
    const chat: Chat = {
      id: message.chatId,
      userId: input.ownerId,
      title: titleFromMessage(content),
      titleSetByUser: false,
      modelId: model.id,
      source: input.source ?? "WEB",
      currentLeafId: reply.id,
      apiThreadKey: null,
      createdAt: now,
      updatedAt: now,
    };
    const inChat = ({ chatId: _chat, ...rest }: Message) => rest;
    const messages = images.length
      ? { create: [{ ...inChat(message), attachments: { create: attachmentRows(images) } }, inChat(reply)] }
      : { createMany: { data: [inChat(message), inChat(reply)] } };
    // Every column given: nothing is read back (the fence forces the owner it was given).
    await db.chat.create({ data: { ...chat, messages }, select: { id: true } });
    const history: HistoryMessage[] = [questionAsked(model, content, images)];
    start(db, reply, model, chat, history, input.options, input.memoryEnabled);
    return { chat: { ...chat, model }, message, reply };
  }

  return {
    hub,
    bus,

    /**
     * Stores the user's message after the branch shown and the reply (STREAMING) together,
     * and starts generating in the background. Without `chatId` a new chat is started with
     * the model `modelId`, titled after the message. `db` is the viewer's fenced client.
     * `options`: this reply's own sampling settings (the /v1 API), over the model's.
     */
    async sendMessage(
      db: Db,
      input: SendInput,
    ): Promise<SentMessage> {
      const content = checkMessageContent(input.content);
      const images = input.images ?? [];
      if (input.chatId == null) return sendInNewChat(db, input, content, images);
      const chatId = input.chatId;
      const model = await sendingModel(db, input.ownerId, chatId, input.modelId, input.model);
      // Before anything is stored or sent: a spent budget refuses the request (usage/).
      await checkBudget(rootDb, input.ownerId, model, new Date(), input.userBudget);
      const { history, message, reply, updated } = await startingReply(db, chatId, {}, async (tx, locked) => {
        // The chat's model was switched since it was read: this send would answer with the other one.
        if (input.modelId == null && locked.modelId !== model.id) throw new AppError("CONFLICT", "This chat's model was changed meanwhile: send the message again.");
        const tree = await idleTree(tx, chatId);
        const parentId = tree.leaf(locked.currentLeafId)?.id ?? null;
        const asked = await asking(tx, chatId, model, tree, { parentId, content, images }, input.knownMessages);
        // Only a title nobody chose: a rename, even one a moment ago, wins. (The chat's row is
        // locked by this transaction, so `locked` holds any rename before it, and none comes until it ends.)
        const named = !tree.hasUserMessage() && locked.title === DEFAULT_CHAT_TITLE && !locked.titleSetByUser;
        const changes = { ...(named ? { title: titleFromMessage(content) } : {}), ...switching(locked, model) };
        return { ...asked, updated: await showing(tx, locked, asked.reply.id, changes) };
      });
      start(db, reply, model, updated, history, input.options, input.memoryEnabled);
      // With its model (the one answering, which the claim made the chat's): `chat { model }` needs no read.
      return { chat: { ...updated, model }, message, reply };
    },

    /**
     * A new version of one of the user's messages: stored next to the original (same
     * parent, with the original's pictures), answered by a new reply, and shown from now on.
     * The original and its replies stay, one version back. Claims the chat like sendMessage.
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
      const { history, message, reply, updated } = await startingReply(db, chat.id, switching(chat, model), async (tx, locked) => {
        const tree = await idleTree(tx, chat.id);
        const asked = await asking(tx, chat.id, model, tree, { parentId: original.parentId, content, images });
        return { ...asked, updated: await showing(tx, locked, asked.reply.id) };
      });
      start(db, reply, model, chat, history);
      return { chat: updated, message, reply };
    },

    /**
     * A new reply to a question, next to the earlier ones (they stay, as versions): by default
     * to the question of the chat's last reply shown (or to a last question left without one);
     * `messageId` names another reply to redo. The new reply is shown from now on. In a chat
     * from the glasses the last reply is replaced instead (those stay linear). Claims the chat
     * like sendMessage.
     */
    async regenerate(db: Db, input: { chatId: string; messageId?: string | null; modelId?: string | null }): Promise<Message> {
      const chat = await chatWithModel(db, input.chatId);
      if (input.messageId != null) refuseVersionsIn(chat, "messageId");
      const model = await modelFor(db, chat, input.modelId);
      const { history, reply } = await startingReply(db, chat.id, switching(chat, model), async (tx, locked) => {
        const tree = await idleTree(tx, chat.id);
        const target = input.messageId != null ? tree.nodes.get(input.messageId) : tree.leaf(locked.currentLeafId);
        if (input.messageId != null && target?.role !== "ASSISTANT") throw notFound("Reply");
        const question = target?.role === "ASSISTANT" ? tree.parentOf(target) : target;
        // Checked before anything is deleted: a chat whose last reply answers nothing keeps it.
        if (question?.role !== "USER") throw invalidInput("chatId", "This chat has no message to answer yet.");
        if (chat.source === "GLASSES" && target?.role === "ASSISTANT") await tx.message.delete({ where: { id: target.id } });
        const history = await readBranch(tx, tree, question.id, model.supportsImages);
        const reply = await claimingReply(tx, chat.id, question.id, new Date(nextTime(tree)));
        await showing(tx, locked, reply.id);
        return { history, reply };
      });
      start(db, reply, model, chat, history);
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
        const { count } = await db.message.updateMany({
          where: { id: messageId, status: "STREAMING" },
          data: { status: "CANCELLED", checkpointAt: null, streamingChatId: null },
        });
        const stored = await db.message.findUnique({ where: { id: messageId } });
        if (count > 0 && stored) hub.announceEnd(messageId, endOf(stored));
      }
      const stored = await db.message.findUnique({ where: { id: messageId } });
      if (!stored) throw notFound("Message");
      return stored;
    },

    /**
     * The events of a reply for a viewer: NOT_FOUND unless their fence lets them read it.
     * Their own reply generated here is followed without a read: the fence lets exactly its
     * owner read it, and a stream's start is when the connection pool is busiest (0014).
     */
    async follow(db: Db, viewerId: string, messageId: string): Promise<AsyncIterableIterator<ReplyEvent>> {
      const read = storedReply(db, messageId);
      const own = hub.followOwn(messageId, viewerId, read);
      if (own) return own;
      const message = await read();
      if (!message) throw notFound("Message");
      return hub.follow(message, read);
    },

    /**
     * The events of the reply `sendMessage` just returned to this caller: it is theirs and
     * being written here, so nothing is read first (the /v1 API answers from it).
     */
    followSent(db: Db, reply: Message): AsyncIterableIterator<ReplyEvent> {
      return hub.follow(reply, storedReply(db, reply.id));
    },

    /** BUDGET_EXCEEDED when `userId` may not start a request to `model` now (the glasses ask before transcribing). */
    checkBudget: (userId: string, model: AiModel, userBudget?: Prisma.Decimal | null) => checkBudget(rootDb, userId, model, new Date(), userBudget),

    /**
     * For a reply row written outside the hub (a glasses exchange waits for the whole
     * answer): its lease is renewed until the returned function is called.
     */
    hold(messageId: string): () => void {
      held.add(messageId);
      return () => held.delete(messageId);
    },

    /**
     * The final write of a held reply (only while it is STREAMING), retried; false when
     * it could not be stored, and then the reply ends FAILED "not saved" as soon as the
     * database takes writes again. `onWritten` runs when this write is the one that ended
     * it (not when someone else had: the shutdown, the sweep).
     */
    async finishHeld(messageId: string, end: HeldReplyEnd, onWritten?: () => void): Promise<boolean> {
      try {
        const { count } = await withRetries(() =>
          rootDb.message.updateMany({ where: { id: messageId, status: "STREAMING" }, data: { ...end, checkpointAt: null, streamingChatId: null } }),
        );
        if (count > 0) onWritten?.();
        return true;
      } catch (error) {
        console.error(`Final write of reply ${messageId} failed, retries included:`, error);
        unwrittenEnds.set(messageId, NOT_SAVED);
        return false;
      }
    },

    /**
     * Start-up: end the replies a previous run left STREAMING, then sweep periodically
     * (every half lease) for replies whose writer is gone, with one instance or several.
     * Without Redis this is the only instance, so every STREAMING reply at start is a
     * leftover; with Redis, only those whose lease ran out.
     */
    async recover(): Promise<string[]> {
      if (bus.distributed) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis at REDIS_URL does not answer within ${REDIS_READY_TIMEOUT_MS / 1000} s; start it or unset REDIS_URL.`)), REDIS_READY_TIMEOUT_MS);
        });
        await Promise.race([hub.ready(), timeout]).finally(() => clearTimeout(timer));
      }
      const ended = bus.distributed ? await sweep() : await recoverInterruptedReplies(rootDb, { except: writingHere() });
      sweepTimer ??= setInterval(() => void sweep().catch((error) => console.error("Sweeping replies whose writer is gone failed:", error)), leaseMs / 2);
      sweepTimer.unref?.();
      return ended;
    },

    /** Shutdown: every reply this instance writes ends FAILED (INTERRUPTED) with its text written; then the bus closes. */
    async close(): Promise<void> {
      clearInterval(sweepTimer);
      clearInterval(heartbeat);
      await hub.stopAll("shutdown");
      if (held.size > 0) {
        // Glasses exchanges still waiting for their model: a restart would end them the same way.
        const ids = [...held];
        await rootDb.message
          .updateMany({ where: { id: { in: ids }, status: "STREAMING" }, data: endedWithout(INTERRUPTED) })
          .catch((error) => console.error("Ending glasses replies at shutdown failed:", error));
      }
      await writeUnwrittenEnds().catch(() => {});
      await hub.close();
      await bus.close();
    },
  };
}

export type { ReplyEnd, ReplyEvent };
