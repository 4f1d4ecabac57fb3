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

export interface HistoryMessage {
  role: MessageRole;
  content: string;
  status: MessageStatus;
}

export interface ProviderMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

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

export function messageCost(content: string): number {
  return estimateTokens(content) + MESSAGE_OVERHEAD_TOKENS;
}

export function promptBudget(contextWindow: number, maxTokens: number | null): number {
  const reserve = maxTokens ?? Math.min(4096, Math.floor(contextWindow / 4));
  return Math.max(0, contextWindow - reserve);
}

function sendable(message: HistoryMessage): boolean {
  if (message.content === "") return false;
  if (message.role !== "ASSISTANT") return true;
  return message.status === "COMPLETE" || message.status === "CANCELLED";
}

const ROLE: Record<MessageRole, ProviderMessage["role"]> = { SYSTEM: "system", USER: "user", ASSISTANT: "assistant" };

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
  const system: ProviderMessage[] = input.systemPrompt.trim() === "" ? [] : [{ role: "system", content: input.systemPrompt }];
  let used = system.reduce((sum, m) => sum + messageCost(m.content), 0);

  const kept: HistoryMessage[] = [];
  const newest = candidates.at(-1);
  if (newest) {
    kept.push(newest);
    used += messageCost(newest.content);
  }
  for (let i = candidates.length - 2; i >= 0; i--) {
    const cost = messageCost(candidates[i]!.content);
    if (used + cost > budget) break;
    kept.push(candidates[i]!);
    used += cost;
  }
  kept.reverse();
  // Open with a user turn: a leading assistant reply lost its question to the trim.
  while (kept.length > 1 && kept[0]!.role === "ASSISTANT") {
    used -= messageCost(kept.shift()!.content);
  }
  return {
    messages: [...system, ...kept.map((m) => ({ role: ROLE[m.role], content: m.content }))],
    estimatedTokens: used,
    dropped: candidates.length - kept.length,
  };
}
