/**
 * What a reply is generated from: the model's system prompt plus the chat's earlier
 * messages, trimmed oldest-first to fit the model's context window.
 * docs/decisions/0003-context-trimming.md explains the rule; in short:
 *
 *   window  = the model's contextWindow, else CONTEXT_WINDOW_TOKENS
 *   reserve = the model's maxTokens, else min(4096, window / 4)   (room for the reply)
 *   budget  = window - reserve
 *   cost(m) = ceil(characters / 4) + 4                             (an estimate, see below)
 *
 *   1. The system prompt and the newest message (the one being answered) are always sent,
 *      even when they alone exceed the budget: the provider then says so, in words the
 *      user can act on, rather than us silently dropping what they just wrote.
 *   2. Earlier messages are added newest to oldest while the total stays within the
 *      budget; the first one that does not fit ends the walk, so what is sent is always
 *      an unbroken, most recent stretch of the chat (no holes).
 *   3. A stretch that would start with an assistant reply loses that reply, so the
 *      conversation after the system prompt opens with a user turn.
 *   4. Failed replies, empty messages and the reply being generated are never sent.
 *      Cancelled replies are, with the text that arrived: the user saw it.
 *   5. Pictures go with their message as image parts, each counted as IMAGE_TOKENS. When
 *      the model cannot see, the history arrives without them and the system prompt says
 *      that the newest message came with pictures the model cannot see (as the glasses do).
 *
 * The estimate is deliberately simple and provider-neutral (no tokenizer ships for
 * arbitrary models): about four characters per token for English, plus a few tokens of
 * per-message overhead. It errs on the generous side for code and non-Latin scripts.
 */
import type { MessageRole, MessageStatus } from "../db/generated/sqlite/client.ts";

export const CHARS_PER_TOKEN = 4;
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** How many earlier messages are read at most; far more than any window holds. */
export const HISTORY_LIMIT = 500;
/** What one picture counts for against the budget: providers charge roughly 85 to 1,100 tokens per picture by size. */
export const IMAGE_TOKENS = 1000;

export interface HistoryImage {
  mimeType: string;
  data: Uint8Array;
}

export interface HistoryMessage {
  role: MessageRole;
  content: string;
  status: MessageStatus;
  /** Pictures sent with this message, for a model that can see. */
  images?: HistoryImage[];
  /** Pictures this message came with that the model cannot see (they are not sent). */
  unseenImages?: number;
}

export type ProviderContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export type ProviderMessage =
  | { role: "system"; content: string }
  | { role: "assistant"; content: string }
  | { role: "user"; content: string | ProviderContentPart[] };

/** Said to a model that cannot see when the user's newest message came with pictures. */
export const UNSEEN_IMAGES_NOTE =
  "The user also sent a picture, but you cannot see pictures: if the request needs it, say briefly that the picture could not be read.";

export interface Conversation {
  messages: ProviderMessage[];
  /** Our estimate of the prompt's size in tokens (used when the provider reports no usage). */
  estimatedTokens: number;
  /** Earlier messages left out to fit the budget. */
  dropped: number;
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function messageCost(content: string, images = 0): number {
  return estimateTokens(content) + MESSAGE_OVERHEAD_TOKENS + images * IMAGE_TOKENS;
}

const costOfMessage = (message: HistoryMessage) => messageCost(message.content, message.images?.length ?? 0);

export function promptBudget(contextWindow: number, maxTokens: number | null): number {
  const reserve = maxTokens ?? Math.min(4096, Math.floor(contextWindow / 4));
  return Math.max(0, contextWindow - reserve);
}

function sendable(message: HistoryMessage): boolean {
  if (message.content === "" && !message.images?.length) return false;
  if (message.role !== "ASSISTANT") return true;
  return message.status === "COMPLETE" || message.status === "CANCELLED";
}

function toProvider(message: HistoryMessage): ProviderMessage {
  if (message.role === "SYSTEM") return { role: "system", content: message.content };
  if (message.role === "ASSISTANT") return { role: "assistant", content: message.content };
  if (!message.images?.length) return { role: "user", content: message.content };
  const pictures = message.images.map((image): ProviderContentPart => ({
    type: "image_url",
    image_url: { url: `data:${image.mimeType};base64,${Buffer.from(image.data).toString("base64")}` },
  }));
  return { role: "user", content: [...(message.content ? [{ type: "text" as const, text: message.content }] : []), ...pictures] };
}

/**
 * `history` is oldest first and ends with the message being answered; it must not
 * contain the reply being generated.
 */
export function buildConversation(input: {
  systemPrompt: string;
  history: HistoryMessage[];
  contextWindow: number;
  maxTokens: number | null;
}): Conversation {
  const budget = promptBudget(input.contextWindow, input.maxTokens);
  const candidates = input.history.filter(sendable);
  const newest = candidates.at(-1);
  const systemPrompt = newest?.unseenImages ? `${input.systemPrompt.trim()} ${UNSEEN_IMAGES_NOTE}`.trim() : input.systemPrompt;
  const system: ProviderMessage[] = systemPrompt.trim() === "" ? [] : [{ role: "system", content: systemPrompt }];
  let used = systemPrompt.trim() === "" ? 0 : messageCost(systemPrompt);

  const kept: HistoryMessage[] = [];
  if (newest) {
    kept.push(newest);
    used += costOfMessage(newest);
  }
  for (let i = candidates.length - 2; i >= 0; i--) {
    const cost = costOfMessage(candidates[i]!);
    if (used + cost > budget) break;
    kept.push(candidates[i]!);
    used += cost;
  }
  kept.reverse();
  // Open with a user turn: a leading assistant reply lost its question to the trim.
  while (kept.length > 1 && kept[0]!.role === "ASSISTANT") {
    used -= costOfMessage(kept.shift()!);
  }
  return {
    messages: [...system, ...kept.map(toProvider)],
    estimatedTokens: used,
    dropped: candidates.length - kept.length,
  };
}
