/**
 * One exchange with the Frame glasses: transcribe, pick the chat, ask the user's model
 * (with the camera picture when one came), save both messages, answer in the Noa app's
 * JSON. No request context here: the route hands over the user and the parsed form.
 */
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { TokenCaller } from "../accounts/index.ts";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel, Chat, Prisma } from "../db/generated/sqlite/client.ts";
import type { Config } from "../env.ts";
import { newMessageId, titleFromMessage } from "../chats/index.ts";
import { type Answer, askModel, buildConversation, costOf, ProviderFailure, speak } from "../generation/index.ts";
import { AudioDecodeError, decodeAudio, isSilent, SpeechModelUnavailableError, type SpeechToText, TranscriptionError, UnsupportedAudioError } from "../speech/index.ts";
import { type GlassesRequest, GlassesHttpError, type HistoryMessage } from "./request.ts";
import { DEFAULT_GLASSES_PERSONA, type GlassesSetup, glassesSetupOf } from "./settings.ts";

export const DID_NOT_CATCH_THAT = "I didn't catch that. Please try again.";

export interface GlassesDependencies {
  secrets: SecretBox;
  speech: SpeechToText;
  config: Config;
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
  };
  /** Plain base64 MP3, only when spoken answers are on and speech worked. */
  audio?: string;
}

async function transcribe(deps: GlassesDependencies, audio: Uint8Array, language: string): Promise<{ text: string; ms: number }> {
  let samples: Float32Array;
  try {
    samples = await decodeAudio(audio, { ffmpegPath: deps.config.speech.ffmpegPath });
  } catch (error) {
    if (error instanceof UnsupportedAudioError) throw new GlassesHttpError(415, error.message);
    if (error instanceof AudioDecodeError) throw new GlassesHttpError(400, `The file audio could not be read: ${error.message}`);
    throw error;
  }
  if (isSilent(samples)) return { text: "", ms: 0 };
  try {
    const transcript = await deps.speech.transcribe(samples, language ? { language } : {});
    return { text: transcript.text.trim(), ms: transcript.ms };
  } catch (error) {
    if (error instanceof SpeechModelUnavailableError) throw new GlassesHttpError(503, error.message);
    if (error instanceof TranscriptionError) throw new GlassesHttpError(502, `Speech recognition failed: ${error.message}`);
    throw error;
  }
}

/** Whisper's stand-ins for "nothing said" count as silence. */
function saidNothing(text: string): boolean {
  return text.replace(/\[[^\]]*\]|\([^)]*\)|[\s.,!?…-]/g, "") === "";
}

async function modelsFor(db: Db, userId: string, setup: GlassesSetup): Promise<{ main: AiModel; forImages: AiModel | null }> {
  const main =
    setup.model ?? (await db.aiModel.findFirst({ where: { userId, active: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }));
  if (!main) {
    throw new GlassesHttpError(409, "No model is set up for your glasses. Add a model in AIUI, or choose one in its glasses settings.");
  }
  return { main, forImages: setup.imageModel };
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
      { temperature: 0, maxTokens: 3, timeoutMs: deps.config.replies.firstTokenTimeoutMs },
    );
    return /^\W*yes/i.test(verdict.text);
  } catch {
    return false;
  }
}

/**
 * Saves the user's words (with the picture) in the current glasses chat, after its last
 * message, or in a new one, in one write that also makes it the chat's current leaf and
 * marks the chat as recently active. Glasses chats stay linear (docs/decisions/0008-message-tree.md).
 */
async function saveUserMessage(
  db: Db,
  userId: string,
  setup: GlassesSetup,
  startNew: boolean,
  modelId: string,
  userText: string,
  image: GlassesRequest["image"],
): Promise<{ chat: Chat; messageId: string }> {
  const messageId = newMessageId();
  const message = {
    id: messageId,
    role: "USER" as const,
    content: userText,
    ...(image ? { attachments: { create: { mimeType: image.mimeType, byteSize: image.bytes.byteLength, data: image.bytes } } } : {}),
  };
  const current = startNew ? null : setup.currentChat;
  if (current) {
    const switched = current.modelId === modelId ? {} : { modelId };
    const chat = await db.chat.update({
      where: { id: current.id },
      data: { ...switched, updatedAt: new Date(), currentLeafId: messageId, messages: { create: { ...message, parentId: current.currentLeafId } } },
    });
    return { chat, messageId };
  }
  const chat = await db.chat.create({
    data: { userId, title: titleFromMessage(userText), source: "GLASSES", modelId, currentLeafId: messageId, messages: { create: message } },
  });
  await db.glassesSettings.update({ where: { userId }, data: { currentChatId: chat.id } });
  return { chat, messageId };
}

/** The model's answer (or its failure), after the user's message, as the chat's new leaf. */
function saveReply(db: Db, chatId: string, parentId: string, reply: Omit<Prisma.MessageCreateWithoutChatInput, "id" | "role" | "parentId">) {
  const id = newMessageId();
  return db.chat.update({ where: { id: chatId }, data: { currentLeafId: id, messages: { create: { ...reply, id, parentId, role: "ASSISTANT" } } } });
}

/** `caller`: the token's owner and their fenced client (accounts/identity.ts). */
export async function answerGlasses(deps: GlassesDependencies, caller: TokenCaller, request: GlassesRequest): Promise<NoaResponse> {
  const started = performance.now();
  const { db, userId } = caller;
  const setup = await glassesSetupOf(db, userId);

  const heard = request.audio ? await transcribe(deps, request.audio, setup.language) : { text: "", ms: 0 };
  const spoken = saidNothing(heard.text) ? "" : heard.text;
  const userText = [request.prompt, spoken].filter(Boolean).join("\n");
  const timings = (llmMs: number) => ({ stt_ms: heard.ms, llm_ms: llmMs, total_ms: Math.round(performance.now() - started) });
  if (userText === "") {
    return { user_prompt: "", message: DID_NOT_CATCH_THAT, debug: { topic_changed: false, timings: timings(0) } };
  }

  const { main, forImages } = await modelsFor(db, userId, setup);
  const useImageModel = request.image !== null && !main.supportsImages && forImages !== null;
  const model = useImageModel ? forImages : main;
  const imageSeen = request.image !== null && (model.supportsImages || useImageModel);

  const topicChanged =
    request.history.length > 0 && setup.topicStrategy === "MODEL" && (await startsNewTopic(deps, main, request.history, userText));
  // The user's words are saved before anything else can fail.
  const { chat, messageId } = await saveUserMessage(db, userId, setup, request.history.length === 0 || topicChanged, model.id, userText, request.image);

  const persona = setup.persona || DEFAULT_GLASSES_PERSONA;
  const imageNote =
    request.image && !imageSeen
      ? " The user also sent a picture from their glasses, but you cannot see pictures: if the request needs it, say briefly that the picture could not be read."
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
    systemPrompt: `${persona} ${contextLines(request)}${imageNote}`.trim(),
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

  let answer: Answer;
  try {
    answer = await askModel(model, deps.secrets, messages, {
      temperature: setup.temperature ?? model.temperature,
      maxTokens,
      timeoutMs: deps.config.replies.firstTokenTimeoutMs,
    });
  } catch (error) {
    if (!(error instanceof ProviderFailure)) throw error;
    await saveReply(db, chat.id, messageId, { content: "", status: "FAILED", error: error.message });
    throw new GlassesHttpError(502, error.message);
  }

  const text = answer.text.trim();
  await saveReply(db, chat.id, messageId, {
    content: text,
    status: "COMPLETE",
    promptTokens: answer.promptTokens,
    completionTokens: answer.completionTokens,
    usageEstimated: answer.usageEstimated,
    cost: costOf(model, answer.promptTokens, answer.completionTokens),
    latencyMs: answer.ms,
  });

  const response: NoaResponse = {
    user_prompt: userText,
    message: text,
    debug: {
      topic_changed: topicChanged,
      model: model.providerModelId,
      chat_id: chat.id,
      image_seen: request.image ? imageSeen : undefined,
      usage: {
        prompt_tokens: answer.promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: answer.promptTokens + answer.completionTokens,
        estimated: answer.usageEstimated,
      },
      timings: timings(answer.ms),
    },
  };
  if (setup.spokenAnswers && text) {
    const { mp3, error } = await speak(model, deps.secrets, text, {
      model: deps.config.glasses.ttsModel,
      voice: deps.config.glasses.ttsVoice,
      timeoutMs: deps.config.replies.firstTokenTimeoutMs,
    });
    if (mp3) response.audio = Buffer.from(mp3).toString("base64");
    else response.debug.tts_error = error;
  }
  response.debug.timings.total_ms = Math.round(performance.now() - started);
  return response;
}
