/**
 * One exchange with the Frame glasses: transcribe, pick the chat, ask the user's model
 * (with the camera picture when one came), save both messages, answer in the Noa app's
 * JSON. No request context here: the route hands over the user and the parsed form.
 *
 * The user's words are saved together with a pending reply (STREAMING, its lease held by
 * the reply service) before the model is asked, and the reply is finished after: a crash
 * in between leaves a reply that recovery ends FAILED with the reason, never words
 * without an answer.
 *
 * The Noa app shows only the HTTP reason phrase of a non-200 answer, so a failure the
 * wearer can act on (no model, a switched-off model, speech or the provider failing,
 * the database away) is answered 200 with a short sentence for the display and the
 * would-be status in `debug.error` (GlassesFailure), unless GLASSES_STRICT_HTTP_ERRORS.
 */
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { TokenCaller } from "../accounts/index.ts";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import { isUniqueViolation, isWriteConflict } from "../db/races.ts";
import type { Config } from "../env.ts";
import { AppError } from "../errors.ts";
import { newChatId, newMessageId, titleFromMessage } from "../chats/index.ts";
import { type Answer, askModel, buildConversation, costOf, ProviderFailure, type ReplyService, replyTooLong, speak } from "../generation/index.ts";
import type { MemoryService, MemoryTurn } from "../memory/index.ts";
import { recordUsage, type UsageEntry } from "../usage/index.ts";
import { AudioDecodeError, decodeAudio, isSilent, SpeechModelUnavailableError, type SpeechToText, TranscriptionError, UnsupportedAudioError } from "../speech/index.ts";
import { type GlassesRequest, GlassesHttpError, type HistoryMessage } from "./request.ts";
import { DEFAULT_GLASSES_PERSONA, type GlassesSetup, glassesSetupOf } from "./settings.ts";

export const DID_NOT_CATCH_THAT = "I didn't catch that. Please try again.";

/**
 * A failure the wearer can do something about. `display` fits the glasses' small screen;
 * `detail` is the full sentence (as the strict HTTP answer and the saved reply's error).
 */
export class GlassesFailure extends Error {
  override name = "GlassesFailure";
  constructor(
    readonly status: number,
    readonly code: "NO_MODEL" | "MODEL_SWITCHED_OFF" | "SPEECH_UNAVAILABLE" | "TRANSCRIPTION_FAILED" | "PROVIDER_FAILED" | "DATABASE_UNAVAILABLE" | "BUDGET_EXCEEDED",
    readonly display: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** The failures a wearer can act on, as GlassesFailure; null for anything else. */
function asGlassesFailure(error: unknown): GlassesFailure | null {
  if (error instanceof GlassesFailure) return error;
  if (error instanceof AppError && error.code === "UNAVAILABLE") {
    return new GlassesFailure(503, "DATABASE_UNAVAILABLE", "AIUI's database is not answering. Try again in a moment.", error.message);
  }
  if (error instanceof AppError && error.code === "BUDGET_EXCEEDED") {
    return new GlassesFailure(402, "BUDGET_EXCEEDED", "This month's budget is spent. Ask your administrator to raise it.", error.message);
  }
  return null;
}
/** Stored on the pending reply when answering broke for a reason that is not the provider's. */
const ANSWER_BROKE = "Something went wrong on the server while answering. Try again; if it keeps happening, tell the administrator.";

export interface GlassesDependencies {
  secrets: SecretBox;
  speech: SpeechToText;
  config: Config;
  /** Holds the lease of the pending reply and writes its end (generation's reply service). */
  replies: Pick<ReplyService, "hold" | "finishHeld" | "checkBudget">;
  /** Long-term memory: recalled into the persona, learned from after the answer is saved. */
  memory: MemoryService;
  /**
   * Each user's settings with their model, remembered across requests like the user row
   * (identity.ts rememberedPerUser: a write of the user's settings or models drops it on every
   * instance); a request then reads none of it.
   */
  setups: { get(userId: string, read: () => Promise<GlassesSetup>): Promise<GlassesSetup> };
  /** Counts an answered exchange's usage after the answer went out (createUsageAfterAnswers). */
  usageAfterAnswers: UsageAfterAnswers;
}

/** The usage rows of answered exchanges, written off the response path; shutdown waits for them. */
export interface UsageAfterAnswers {
  record(entry: UsageEntry): void;
  /** Resolves once every usage row recorded so far is written (or its failure logged). */
  settled(): Promise<void>;
}

/**
 * The wearer does not wait for the usage row: it is one statement and one commit (a network
 * round trip each on PostgreSQL and MySQL) after the reply's final write, and nothing in the
 * answer depends on it. It is still written and awaited: by `settled()`, which shutdown
 * (main.ts) calls before the database closes. A failure is logged, never the reply's, as
 * for web replies. Cost: a budget check that starts within the moment between the answer
 * and this write does not see this exchange yet, like a request that runs alongside.
 */
export function createUsageAfterAnswers(rootDb: Db): UsageAfterAnswers {
  const pending = new Set<Promise<void>>();
  return {
    record(entry) {
      const write: Promise<void> = recordUsage(rootDb, entry)
        .catch((error) => console.error("Counting a glasses reply's usage failed:", error))
        .finally(() => pending.delete(write));
      pending.add(write);
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

/** The Noa app's response body (docs/noa-app.md); extra debug keys are ignored by the app. */
export interface NoaResponse {
  user_prompt: string;
  message: string;
  debug: {
    topic_changed: boolean;
    model?: string;
    chat_id?: string;
    image_seen?: boolean;
    usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; estimated: boolean };
    timings: { stt_ms: number; llm_ms: number; total_ms: number };
    tts_error?: string;
    /** Why the picture that came was not used. */
    image_error?: string;
    /** A failure answered as 200 (see GlassesFailure): the status it stands for, a code and the full sentence. */
    error?: { status: number; code: string; detail: string };
  };
  /** Plain base64 MP3, only when spoken answers are on and speech worked. */
  audio?: string;
}

/** The recording as 16 kHz samples, decoded in the audio worker; a broken or refused recording is the client's 4xx. */
async function decodeRecording(deps: GlassesDependencies, audio: Uint8Array): Promise<Float32Array> {
  try {
    // A backend that sends WAV gets it from the same worker trip as the samples.
    return await decodeAudio(audio, { ffmpegPath: deps.config.speech.ffmpegPath, withWav: deps.speech.wantsWav === true });
  } catch (error) {
    if (error instanceof UnsupportedAudioError) throw new GlassesHttpError(415, error.message);
    if (error instanceof AudioDecodeError) throw new GlassesHttpError(400, `The file audio could not be read: ${error.message}`);
    throw error;
  }
}

async function transcribe(deps: GlassesDependencies, samples: Float32Array, language: string): Promise<{ text: string; ms: number }> {
  if (isSilent(samples)) return { text: "", ms: 0 };
  try {
    const transcript = await deps.speech.transcribe(samples, language ? { language } : {});
    return { text: transcript.text.trim(), ms: Math.round(transcript.ms) };
  } catch (error) {
    if (error instanceof SpeechModelUnavailableError) {
      throw new GlassesFailure(503, "SPEECH_UNAVAILABLE", "Speech recognition is not available. Tell your AIUI administrator.", error.message);
    }
    if (error instanceof TranscriptionError) {
      throw new GlassesFailure(502, "TRANSCRIPTION_FAILED", "Speech recognition failed. Please try again.", `Speech recognition failed: ${error.message}`);
    }
    throw error;
  }
}

/** Whisper's stand-ins for "nothing said" count as silence. */
function saidNothing(text: string): boolean {
  return text.replace(/\[[^\]]*\]|\([^)]*\)|[\s.,!?…-]/g, "") === "";
}

/**
 * The models that answer: checked before anything is transcribed (a paid speech service may
 * be asked). The picture model is read only for a picture the main model cannot see.
 */
async function modelsFor(db: Db, setup: GlassesSetup, picture: boolean): Promise<{ main: AiModel; forImages: AiModel | null }> {
  // Shared models are read again through the fence: an administrator may have withdrawn the offer.
  const offered = async (model: AiModel | null) => (model?.shared ? await db.aiModel.findUnique({ where: { id: model.id } }) : model);
  const chosen = await offered(setup.model);
  if (chosen && !chosen.active) {
    throw new GlassesFailure(
      409,
      "MODEL_SWITCHED_OFF",
      `Your glasses' model ${chosen.name} is switched off. Switch it on in AIUI.`,
      `The model "${chosen.name}" chosen for your glasses is switched off: switch it on, or choose another in the glasses settings.`,
    );
  }
  const main = chosen ?? (await db.aiModel.findFirst({ where: { active: true }, orderBy: [{ shared: "asc" }, { createdAt: "asc" }, { id: "asc" }] }));
  if (!main) {
    throw new GlassesFailure(
      409,
      "NO_MODEL",
      "No model is set up for your glasses. Add one in AIUI.",
      "No model is set up for your glasses. Add a model in AIUI, or choose one in its glasses settings.",
    );
  }
  // Read through the fence like the main model (own or offered); a switched-off picture model is as good as none.
  const imageModel = picture && !main.supportsImages && setup.imageModelId ? await db.aiModel.findUnique({ where: { id: setup.imageModelId } }) : null;
  return { main, forImages: imageModel?.active ? imageModel : null };
}

/**
 * The history rule: the app sent `sent` earlier messages and the context window left out
 * `dropped` of them. Less than half kept means the app's list has outgrown the model.
 */
export function historyMostlyDropped(sent: number, dropped: number): boolean {
  return sent > 0 && dropped > 0 && sent - dropped < sent / 2;
}

function contextLines(request: GlassesRequest): string {
  const lines = [];
  if (request.localTime) lines.push(`The user's local time is ${request.localTime}.`);
  if (request.location) lines.push(`The user is at or near: ${request.location}.`);
  return lines.join(" ");
}

/** MODEL strategy: one short yes/no question to the model. Failures keep the current topic. */
async function startsNewTopic(deps: GlassesDependencies, model: AiModel, history: HistoryMessage[], userText: string): Promise<boolean> {
  const transcript = history
    .slice(-6)
    .map((m) => `${m.role}: ${m.content}`)
    .join("\n");
  try {
    const verdict = await askModel(
      model,
      deps.secrets,
      [
        { role: "system", content: "You classify conversations. Answer with exactly one word: yes or no." },
        { role: "user", content: `Conversation so far:\n${transcript}\n\nNew request: ${userText}\n\nDoes the new request start a new, unrelated topic?` },
      ],
      { temperature: 0, maxTokens: 3, timeoutMs: deps.config.replies.firstTokenTimeoutMs, network: deps.config.providerNetwork },
    );
    return /^\W*yes/i.test(verdict.text);
  } catch {
    return false;
  }
}

/**
 * Saves the user's words (with the picture) and a pending reply in the current glasses
 * chat, after its last message, or in a new one, in one write that also makes the reply
 * the chat's current leaf and marks the chat as recently active. Glasses chats stay linear
 * (docs/decisions/0012-message-tree.md). The pending reply claims its chat (one writer per
 * chat); when another reply is being written in the current chat (a retried request, or
 * the web), this exchange gets a chat of its own instead of being refused.
 */
async function saveExchange(
  db: Db,
  userId: string,
  setup: GlassesSetup,
  startNew: boolean,
  modelId: string,
  userText: string,
  image: GlassesRequest["image"],
): Promise<{ chatId: string; replyId: string }> {
  const now = Date.now();
  // Known beforehand: the reply follows the question, and is the chat's leaf, in the same write.
  const questionId = newMessageId();
  const replyId = newMessageId();
  const question = {
    id: questionId,
    role: "USER" as const,
    content: userText,
    createdAt: new Date(now),
    ...(image ? { attachments: { create: { mimeType: image.mimeType, byteSize: image.bytes.byteLength, data: image.bytes } } } : {}),
  };
  const pending = { id: replyId, parentId: questionId, role: "ASSISTANT" as const, content: "", status: "STREAMING" as const, createdAt: new Date(now + 1) };
  // Read only to continue it (a deleted chat is no longer current: its settings say null).
  const current = startNew || !setup.currentChatId ? null : await db.chat.findUnique({ where: { id: setup.currentChatId } });
  if (current) {
    const switched = current.modelId === modelId ? {} : { modelId };
    try {
      await db.chat.update({
        where: { id: current.id },
        data: {
          ...switched,
          updatedAt: new Date(now),
          currentLeafId: replyId,
          messages: { create: [{ ...question, parentId: current.currentLeafId }, { ...pending, streamingChatId: current.id }] },
        },
        select: { id: true },
      });
      return { chatId: current.id, replyId };
    } catch (error) {
      if (!isUniqueViolation(error) && !isWriteConflict(error)) throw error;
    }
  }
  // One write, one commit: the chat with its id chosen here (so the pending reply claims it in
  // the same statement that creates it), both messages, and the settings pointing at it.
  const chatId = newChatId();
  await db.chat.create({
    data: {
      id: chatId,
      userId,
      title: titleFromMessage(userText),
      source: "GLASSES",
      modelId,
      currentLeafId: replyId,
      messages: { create: [question, { ...pending, streamingChatId: chatId }] },
      glassesCurrentFor: { connect: { userId } },
    },
    select: { id: true },
  });
  // Written: the remembered setup (this object, when remembered) continues this chat next.
  setup.currentChatId = chatId;
  return { chatId, replyId };
}

/**
 * `caller`: the token's owner and their fenced client (accounts/identity.ts). Failures the
 * wearer can act on come back as a 200 answer (see GlassesFailure) unless strict HTTP
 * errors are configured; other failures are thrown for the route to answer.
 */
export async function answerGlasses(deps: GlassesDependencies, caller: TokenCaller, request: GlassesRequest): Promise<NoaResponse> {
  const started = performance.now();
  const understood = { text: "", sttMs: 0 };
  try {
    return await answer(deps, caller, request, started, understood);
  } catch (error) {
    const failure = asGlassesFailure(error);
    if (!failure) throw error;
    if (deps.config.glasses.strictHttpErrors) throw new GlassesHttpError(failure.status, failure.detail);
    return {
      user_prompt: understood.text,
      message: failure.display,
      debug: {
        topic_changed: false,
        error: { status: failure.status, code: failure.code, detail: failure.detail },
        timings: { stt_ms: understood.sttMs, llm_ms: 0, total_ms: Math.round(performance.now() - started) },
      },
    };
  }
}

async function answer(
  deps: GlassesDependencies,
  caller: TokenCaller,
  request: GlassesRequest,
  started: number,
  understood: { text: string; sttMs: number },
): Promise<NoaResponse> {
  const { db, userId } = caller;
  // Decoding first: a recording that cannot be used is refused before the database is asked anything.
  const samples = request.audio ? await decodeRecording(deps, request.audio) : null;
  const setup = await deps.setups.get(userId, () => glassesSetupOf(db, userId));
  // The models before transcription: a request that cannot be answered costs no (possibly paid) speech recognition.
  const { main, forImages } = await modelsFor(db, setup, request.image !== null);
  // A spent budget refuses the request before speech recognition and the provider cost anything.
  await deps.replies.checkBudget(userId, main, caller.monthlyBudget);

  const heard = samples ? await transcribe(deps, samples, setup.language) : { text: "", ms: 0 };
  const spoken = saidNothing(heard.text) ? "" : heard.text;
  const userText = [request.prompt, spoken].filter(Boolean).join("\n");
  understood.text = userText;
  understood.sttMs = heard.ms;
  if (userText === "") {
    return {
      user_prompt: "",
      message: DID_NOT_CATCH_THAT,
      debug: { topic_changed: false, timings: { stt_ms: heard.ms, llm_ms: 0, total_ms: Math.round(performance.now() - started) } },
    };
  }

  const useImageModel = request.image !== null && !main.supportsImages && forImages !== null;
  const model = useImageModel ? forImages : main;
  const imageSeen = request.image !== null && (model.supportsImages || useImageModel);
  if (model !== main) await deps.replies.checkBudget(userId, model, caller.monthlyBudget);

  // Begun now, so that memory's reads and the request's embedding overlap the topic check
  // and the save below. The app's history: "forget that" refers to the exchange before.
  // Memory off (known from the remembered user row): the turn reads nothing.
  const memory = deps.memory.turn({ db, userId, model, conversation: [...request.history, { role: "user", content: userText }], enabled: caller.memoryEnabled });
  const topicChanged =
    request.history.length > 0 && setup.topicStrategy === "MODEL" && (await startsNewTopic(deps, main, request.history, userText));
  // The user's words are saved, with a pending reply, before anything else can fail.
  const { chatId, replyId } = await saveExchange(db, userId, setup, request.history.length === 0 || topicChanged, model.id, userText, request.image);
  const release = deps.replies.hold(replyId);
  try {
    return await answerSaved(deps, { userId, request, setup, model, imageSeen, topicChanged, userText, chatId, replyId, started, sttMs: heard.ms, memory });
  } catch (error) {
    // The reply must not stay pending: a failure the wearer is told about says why, anything else says something broke.
    const failure = asGlassesFailure(error);
    const reason = failure ? failure.detail : error instanceof GlassesHttpError ? error.detail : ANSWER_BROKE;
    await deps.replies.finishHeld(replyId, { content: "", status: "FAILED", error: reason });
    throw error;
  } finally {
    release();
  }
}

interface SavedExchange {
  userId: string;
  request: GlassesRequest;
  setup: GlassesSetup;
  model: AiModel;
  imageSeen: boolean;
  topicChanged: boolean;
  userText: string;
  chatId: string;
  replyId: string;
  started: number;
  sttMs: number;
  memory: MemoryTurn;
}

/** Asks the model for the exchange whose question and pending reply are saved, and finishes the reply. */
async function answerSaved(deps: GlassesDependencies, exchange: SavedExchange): Promise<NoaResponse> {
  const { userId, request, setup, model, imageSeen, topicChanged, userText, chatId, replyId, started, sttMs, memory } = exchange;
  const timings = (llmMs: number) => ({ stt_ms: sttMs, llm_ms: llmMs, total_ms: Math.round(performance.now() - started) });

  const remembered = await memory.recall();

  const persona = setup.persona || DEFAULT_GLASSES_PERSONA;
  const imageNote =
    request.image && !imageSeen
      ? " The user also sent a picture from their glasses, but you cannot see pictures: if the request needs it, say briefly that the picture could not be read."
      : request.imageProblem
        ? " The user's glasses sent a picture, but it arrived incomplete: if the request needs it, say briefly that the picture could not be read."
        : "";
  const userContent: string | ChatCompletionContentPart[] =
    request.image && imageSeen
      ? [
          { type: "text", text: userText },
          { type: "image_url", image_url: { url: `data:${request.image.mimeType};base64,${Buffer.from(request.image.bytes).toString("base64")}` } },
        ]
      : userText;
  const maxTokens = setup.maxTokens ?? model.maxTokens;
  // The app's history, trimmed oldest-first to the model's window by the same rule as web
  // chats (docs/decisions/0003-context-trimming.md); after a topic change it belongs to the old chat.
  const conversation = buildConversation({
    systemPrompt: [`${persona} ${contextLines(request)}${imageNote}`.trim(), remembered].filter(Boolean).join("\n\n"),
    history: [...(topicChanged ? [] : request.history), { role: "user" as const, content: userText }].map((m) => ({
      role: m.role === "assistant" ? "ASSISTANT" : "USER",
      content: m.content,
      status: "COMPLETE",
    })),
    contextWindow: model.contextWindow ?? deps.config.replies.defaultContextWindow,
    maxTokens,
  });
  // The newest message is always kept, last: it carries the picture when the model can see it.
  const messages: ChatCompletionMessageParam[] = [...conversation.messages.slice(0, -1), { role: "user", content: userContent }];
  // The app never trims its history; when the context rule keeps less than half of it,
  // say the topic changed, so the app starts afresh instead of sending more and more.
  const historyOutgrown = !topicChanged && historyMostlyDropped(request.history.length, conversation.dropped);

  let answer: Answer;
  try {
    answer = await askModel(model, deps.secrets, messages, {
      temperature: setup.temperature ?? model.temperature,
      maxTokens,
      timeoutMs: deps.config.replies.firstTokenTimeoutMs,
      network: deps.config.providerNetwork,
    });
  } catch (error) {
    if (!(error instanceof ProviderFailure)) throw error;
    throw new GlassesFailure(502, "PROVIDER_FAILED", "Your model did not answer. Please try again.", error.message);
  }

  // The same cap as streamed replies: a longer answer is kept up to it and ends FAILED.
  const { maxReplyChars } = deps.config.replies;
  const whole = answer.text.trim();
  const text = whole.length > maxReplyChars ? whole.slice(0, maxReplyChars) : whole;
  const cost = costOf(model, answer.promptTokens, answer.completionTokens);
  const end = {
    content: text,
    status: text === whole ? ("COMPLETE" as const) : ("FAILED" as const),
    error: text === whole ? null : replyTooLong(maxReplyChars),
    promptTokens: answer.promptTokens,
    completionTokens: answer.completionTokens,
    usageEstimated: answer.usageEstimated,
    cost,
    latencyMs: answer.ms,
  };
  // The reply is written before the answer goes out; its usage row after (createUsageAfterAnswers).
  const { promptTokens, completionTokens } = answer;
  await deps.replies.finishHeld(replyId, end, () =>
    deps.usageAfterAnswers.record({ userId, modelId: model.id, modelName: model.name, source: "GLASSES", promptTokens, completionTokens, cost }),
  );
  if (text === whole) memory.learn(text, replyId);

  const response: NoaResponse = {
    user_prompt: userText,
    message: text,
    debug: {
      topic_changed: topicChanged || historyOutgrown,
      model: model.providerModelId,
      chat_id: chatId,
      image_seen: request.image ? imageSeen : undefined,
      usage: {
        prompt_tokens: answer.promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: answer.promptTokens + answer.completionTokens,
        estimated: answer.usageEstimated,
      },
      timings: timings(answer.ms),
      ...(request.imageProblem ? { image_error: request.imageProblem } : {}),
    },
  };
  if (setup.spokenAnswers && text) {
    const { mp3, error } = await speak(model, deps.secrets, text, {
      model: deps.config.glasses.ttsModel,
      voice: deps.config.glasses.ttsVoice,
      timeoutMs: deps.config.replies.firstTokenTimeoutMs,
      network: deps.config.providerNetwork,
    });
    if (mp3) response.audio = Buffer.from(mp3).toString("base64");
    else response.debug.tts_error = error;
  }
  response.debug.timings.total_ms = Math.round(performance.now() - started);
  return response;
}
