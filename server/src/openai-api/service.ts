/**
 * The OpenAI-compatible API's work, with no request context: callers pass the token's
 * caller (its fenced client). A chat completion is an AIUI reply like any other — sent
 * through the reply service (generation's public surface: one writer per chat, the model's
 * key and system prompt, context trimming, checkpoints, usage, cost, latency, memory) in a
 * chat with source API — and this module turns its events into OpenAI's shapes.
 *
 * Which chat: the request names one (X-AIUI-Chat-Id; with the question alone, the question
 * continues the branch shown, its history taken from the chat), or the conversation it carries is one
 * this API answered before — its earlier messages hash to a chat's `apiThreadKey`, written
 * when a reply completes — or a new API chat holds it. Earlier messages the chat does not
 * have yet (a new chat; a client that changed the history) are stored first, as a branch
 * from the last message both agree on (the message tree of decision 0012).
 * See docs/decisions/0015-programmatic-access.md.
 */
import { createHash } from "node:crypto";
import type { TokenCaller } from "../accounts/index.ts";
import { checkImages, type ImageUpload } from "../attachments/index.ts";
import { checkMessageContent, createChat, loadTree, newMessageId, titleFromMessage } from "../chats/index.ts";
import type { Db } from "../db/client.ts";
import type { AiModel, Chat } from "../db/generated/sqlite/client.ts";
import type { Config } from "../env.ts";
import { AppError, invalidInput } from "../errors.ts";
import type { HistoryMessage, ReplyEvent, ReplyService } from "../generation/index.ts";
import { decodeAudio, type SpeechToText } from "../speech/index.ts";
import type { ApiMessage, ChatCompletionRequest, TranscriptionRequest } from "./schemas.ts";

/** A user's own models found by the name (or id) a request gave, remembered like the user row. */
export type RememberedModels = { get(userId: string, read: () => Promise<Map<string, AiModel>>): Promise<Map<string, AiModel>> };

export interface OpenAIApiDependencies {
  replies: ReplyService;
  speech: SpeechToText;
  config: Pick<Config, "speech">;
  /**
   * Each user's own models as /v1 requests named them, remembered across requests
   * (identity.ts rememberedPerUser: a write of the user's models, settings or row drops it on
   * every instance, and it is read again after 60 s at most); a request naming one then reads
   * no model. Shared models are read every time (an administrator's withdrawal or edit is not
   * the user's write).
   */
  models: RememberedModels;
}

const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Own models first (one wins a name over a shared model's), then the oldest. */
const MODEL_ORDER = [{ shared: "asc" as const }, { createdAt: "asc" as const }, { id: "asc" as const }];

/**
 * The caller's active models and the shared ones offered to them (the fence selects both),
 * one per name, as /v1/models lists them.
 */
export async function listApiModels(db: Db): Promise<AiModel[]> {
  const models = await db.aiModel.findMany({ where: { active: true }, orderBy: MODEL_ORDER });
  const seen = new Set<string>();
  return models.filter((model) => !seen.has(model.name) && seen.add(model.name));
}

export function modelEntry(model: AiModel) {
  return { id: model.name, object: "model" as const, created: unixSeconds(model.createdAt), owned_by: model.shared ? "shared" : "user" };
}

/**
 * By name (what /v1/models lists; the user's own before a shared model of that name), else by
 * AIUI's id; switched-off models are not found. One row read through the fence, which then
 * knows an own model is the caller's.
 */
export async function findApiModel(db: Db, name: string): Promise<AiModel> {
  const model =
    (await db.aiModel.findFirst({ where: { active: true, name }, orderBy: MODEL_ORDER })) ??
    (await db.aiModel.findFirst({ where: { active: true, id: name }, orderBy: MODEL_ORDER }));
  if (!model) {
    throw new AppError("NOT_FOUND", `The model "${name}" does not exist or is switched off: GET /v1/models lists yours.`, "model");
  }
  return model;
}

/**
 * findApiModel with the user's own models remembered (OpenAIApiDependencies.models). Only an
 * own model is kept: an own model wins its name over a shared one, and only the user's own
 * writes change it (each drops the map). A map an invalidation overtook is no longer the
 * remembered one, so what is added to it afterwards is never read.
 */
async function apiModelFor(deps: OpenAIApiDependencies, caller: TokenCaller, name: string): Promise<AiModel> {
  const own = await deps.models.get(caller.userId, async () => new Map());
  const known = own.get(name);
  if (known) return known;
  const model = await findApiModel(caller.db, name);
  if (model.userId === caller.userId && !model.shared && own.size < MAX_REMEMBERED_MODELS) own.set(name, model);
  return model;
}
const MAX_REMEMBERED_MODELS = 64;

/** What a conversation is, for matching: role, text, how many pictures. */
type Fingerprint = [role: string, text: string, images: number];
const fingerprintOf = (message: Pick<ApiMessage, "role" | "text"> & { images: number }): Fingerprint => [message.role, message.text.trim(), message.images];
const sameMessage = (a: Fingerprint, b: Fingerprint) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** The key a conversation is found by: SHA-256 of its messages' fingerprints. */
export function threadKey(messages: readonly Fingerprint[]): string {
  return createHash("sha256").update(JSON.stringify(messages)).digest("hex");
}

export interface StartedCompletion {
  chatId: string;
  replyId: string;
  model: AiModel;
  /** When the completion was asked, for the answer's `created`. */
  created: number;
  /** The reply's events, in order, ending with `done`; they keep coming (and the reply is stored) when nobody reads them. */
  events: AsyncIterable<ReplyEvent>;
}

async function checkedImages(message: ApiMessage, index: number): Promise<ImageUpload[]> {
  if (message.images.length === 0) return [];
  return checkImages(
    message.images.map((image) => new Blob([image.bytes])),
    `messages[${index}].content`,
  );
}

/**
 * The chat's current branch as fingerprints, with the ids, oldest first; and its messages
 * without pictures as the reply's history takes them (the reply service then reads them not again).
 */
async function branchOf(db: Db, chat: Chat): Promise<{ ids: string[]; prints: Fingerprint[]; streaming: boolean; known: Map<string, HistoryMessage> }> {
  const tree = await loadTree(db, chat.id);
  const ids = tree.branch(chat.currentLeafId).map((node) => node.id);
  const rows = await db.message.findMany({
    where: { chatId: chat.id, id: { in: ids } },
    select: { id: true, role: true, content: true, status: true, _count: { select: { attachments: true } } },
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const prints = ids.map((id) => {
    const row = byId.get(id)!;
    return fingerprintOf({ role: row.role, text: row.content, images: row._count.attachments });
  });
  const known = new Map<string, HistoryMessage>();
  for (const row of rows) {
    if (row.status !== "STREAMING" && row._count.attachments === 0) known.set(row.id, { role: row.role, content: row.content, status: row.status });
  }
  return { ids, prints, streaming: tree.streaming, known };
}

/**
 * Stores `messages` after `parentId` as a branch of the chat and shows it (the chat's
 * current leaf), naming a new chat after its first user message. The reply service then
 * adds the question and its reply after them.
 */
async function storeEarlier(db: Db, chat: Chat, parentId: string | null, messages: { message: ApiMessage; images: ImageUpload[] }[], name: boolean) {
  let parent = parentId;
  // Before now, a millisecond apart: the question and reply the reply service adds come after.
  let at = Date.now() - messages.length - 1;
  for (const { message, images } of messages) {
    const id = newMessageId();
    await db.message.create({
      data: {
        id,
        chatId: chat.id,
        parentId: parent,
        role: message.role,
        content: message.text,
        status: "COMPLETE",
        createdAt: new Date(at++),
        ...(images.length ? { attachments: { create: images.map((image) => ({ mimeType: image.mimeType, byteSize: image.bytes.byteLength, data: image.bytes })) } } : {}),
      },
    });
    parent = id;
  }
  const firstQuestion = messages.find(({ message }) => message.role === "USER" && message.text.trim() !== "");
  await db.chat.update({
    where: { id: chat.id },
    data: { currentLeafId: parent, ...(name && firstQuestion ? { title: titleFromMessage(firstQuestion.message.text) } : {}) },
  });
}

/**
 * A relay that reads the reply to its end whoever listens: when it completes, the chat's
 * thread key becomes the conversation with this reply, before the client is given the
 * end (so a client that asks again at once finds the chat). A client that reads slower
 * than the reply is written gets the pieces it has not read merged into one (as the
 * hub's followers do), so it costs memory in proportion to the text, and a chunk per read
 * rather than per token.
 */
function relay(source: AsyncIterableIterator<ReplyEvent>, onComplete: (text: string) => Promise<void>): AsyncIterableIterator<ReplyEvent> {
  const queue: ReplyEvent[] = [];
  let waiting: { resolve: (result: IteratorResult<ReplyEvent>) => void; reject: (error: unknown) => void } | null = null;
  let finished = false;
  let failure: unknown = null;
  /** The client went away: nothing more is queued for it. */
  let left = false;
  const done = (): IteratorResult<ReplyEvent> => ({ value: undefined, done: true });

  /** Answers a waiting read when there is something to answer with. */
  const settle = () => {
    if (!waiting || (queue.length === 0 && !finished)) return;
    const { resolve, reject } = waiting;
    waiting = null;
    if (queue.length > 0) resolve({ value: queue.shift()!, done: false });
    else if (failure) reject(takeFailure());
    else resolve(done());
  };
  const takeFailure = () => {
    const error = failure;
    failure = null;
    return error;
  };
  const add = (event: ReplyEvent) => {
    if (left) return;
    const last = queue.at(-1);
    if (last && !last.done && !event.done && last.offset + last.delta.length === event.offset) last.delta += event.delta;
    else queue.push(event);
    settle();
  };

  void (async () => {
    let text = "";
    try {
      for await (const event of source) {
        text = event.offset === text.length ? text + event.delta : text.slice(0, event.offset) + event.delta;
        if (event.done && event.status === "COMPLETE") await onComplete(text).catch((error) => console.error("Recording an API chat's thread failed:", error));
        add(event);
        if (event.done) break;
      }
    } catch (error) {
      failure = error;
    } finally {
      finished = true;
      settle();
    }
  })();

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
      if (left || finished) return failure && !left ? Promise.reject(takeFailure()) : Promise.resolve(done());
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      left = true;
      queue.length = 0;
      const reader = waiting;
      waiting = null;
      reader?.resolve(done());
      return Promise.resolve(done());
    },
  };
}

export async function startCompletion(
  deps: OpenAIApiDependencies,
  caller: TokenCaller,
  request: ChatCompletionRequest,
  namedChatId: string | null,
): Promise<StartedCompletion> {
  const { db, userId } = caller;
  const created = unixSeconds(new Date());
  // The question is checked before anything of the conversation is stored.
  const last = request.messages.length - 1;
  try {
    checkMessageContent(request.messages[last]!.text);
  } catch (error) {
    throw error instanceof AppError ? invalidInput(`messages[${last}].content`, `messages[${last}].content: ${error.message}`) : error;
  }
  const model = await apiModelFor(deps, caller, request.model);
  const images = await Promise.all(request.messages.map((message, index) => checkedImages(message, index)));
  const prints = request.messages.map((message, index) => fingerprintOf({ ...message, images: images[index]!.length }));
  const earlier = prints.slice(0, -1);

  let chat: Chat | null = null;
  if (namedChatId !== null) {
    chat = await db.chat.findUnique({ where: { id: namedChatId } });
    if (!chat) throw new AppError("NOT_FOUND", "The chat named by X-AIUI-Chat-Id was not found.", "X-AIUI-Chat-Id");
  } else if (earlier.length > 0) {
    chat = await db.chat.findFirst({ where: { apiThreadKey: threadKey(earlier) }, orderBy: [{ updatedAt: "desc" }, { id: "desc" }] });
  }

  // Earlier messages are stored before the reply service is asked (which checks the budget): a spent budget must refuse first.
  const budgetBeforeStoring = () => deps.replies.checkBudget(userId, model, caller.monthlyBudget);
  // A new conversation of one question: the reply service starts the chat itself (fewest statements).
  const isNew = chat === null;
  if (isNew && earlier.length > 0) {
    await budgetBeforeStoring();
    chat = await createChat(db, userId, { modelId: model.id, source: "API" });
  }
  let agreed = 0;
  let leafId: string | null = null;
  let knownMessages: Map<string, HistoryMessage> | undefined;
  // A named chat and the question alone: a client that leaves the history to AIUI continues the branch shown.
  if (chat && !isNew && earlier.length > 0) {
    const branch = await branchOf(db, chat);
    if (branch.streaming) throw new AppError("CONFLICT", "A reply is still being written in this chat: wait for it, or name another chat.");
    while (agreed < earlier.length && agreed < branch.prints.length && sameMessage(earlier[agreed]!, branch.prints[agreed]!)) agreed++;
    leafId = agreed > 0 ? branch.ids[agreed - 1]! : null;
    knownMessages = branch.known;
    if (agreed < branch.ids.length || agreed < earlier.length) {
      // The client's history parts from the chat's: continue from the last message both have.
      await budgetBeforeStoring();
      await storeEarlier(
        db,
        chat,
        leafId,
        request.messages.slice(agreed, -1).map((message, i) => ({ message, images: images[agreed + i]! })),
        false,
      );
    }
  } else if (chat) {
    await storeEarlier(db, chat, null, request.messages.slice(0, -1).map((message, i) => ({ message, images: images[i]! })), true);
  }

  const question = request.messages.at(-1)!;
  const sent = await deps.replies.sendMessage(db, {
    ownerId: userId,
    chatId: chat?.id ?? null,
    source: "API",
    modelId: model.id,
    model,
    content: question.text,
    images: images.at(-1)!,
    options: { temperature: request.temperature, maxTokens: request.maxTokens, stop: request.stop },
    // From the remembered user row: the send reads neither the memory state nor the budget's user.
    memoryEnabled: caller.memoryEnabled,
    userBudget: caller.monthlyBudget,
    knownMessages,
  });
  const chatId = sent.chat.id;
  const events = relay(deps.replies.followSent(db, sent.reply), async (text) => {
    await db.chat.updateMany({ where: { id: chatId }, data: { apiThreadKey: threadKey([...prints, fingerprintOf({ role: "ASSISTANT", text, images: 0 })]) } });
  });
  return { chatId, replyId: sent.reply.id, model, created, events };
}

export interface TranscriptionResult {
  text: string;
  language: string | null;
  /** Seconds of audio. */
  duration: number;
}

const SAMPLE_RATE = 16_000;

export async function transcribe(deps: OpenAIApiDependencies, request: TranscriptionRequest): Promise<TranscriptionResult> {
  const samples = await decodeAudio(request.audio, { ffmpegPath: deps.config.speech.ffmpegPath });
  const transcript = await deps.speech.transcribe(samples, request.language ? { language: request.language } : {});
  return { text: transcript.text.trim(), language: transcript.language ?? request.language ?? null, duration: samples.length / SAMPLE_RATE };
}

