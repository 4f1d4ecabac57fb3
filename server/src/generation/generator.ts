/**
 * Generates one reply: reads the conversation, asks the model through the official
 * `openai` SDK, reads its stream (provider-stream.ts) and hands every piece of text to
 * the hub as it arrives.
 *
 * Database writes stay off the token path: the partial text is checkpointed at most
 * once per STREAM_CHECKPOINT_MS (never two writes in flight, never awaited by the
 * stream), and the final text, status, usage, cost and latency are written once at the
 * end. Both are single-row `update`s guarded by status STREAMING (not `updateMany`, which
 * Prisma wraps in a transaction). The final write is retried (final-write.ts); a reply it
 * could not store is announced FAILED "not saved", never COMPLETE. A reply longer than
 * REPLY_MAX_CHARS is stopped there. Nothing here throws: every failure ends as a FAILED
 * reply with a short error the user can act on.
 */
import type OpenAI from "openai";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel, MessageStatus } from "../db/generated/sqlite/client.ts";
import type { Config } from "../env.ts";
import type { WriteCheckpoint } from "./checkpoint.ts";
import { buildConversation, estimateTokens, HISTORY_LIMIT, type HistoryMessage } from "./conversation.ts";
import { withRetries } from "./final-write.ts";
import type { LiveReply, ReplyEnd, ReplyUsage } from "./hub.ts";
import { KeyUnreadable, providerClient } from "./provider-client.ts";
import { describeCutStream, describeProviderError, describeStop } from "./provider-errors.ts";
import { chatCompletionChunks } from "./provider-stream.ts";
import { NOT_SAVED } from "./reply-errors.ts";
import { storableUsage } from "./usage.ts";

export interface GenerationJob {
  messageId: string;
  chatId: string;
  /** The model as stored (key still sealed). */
  model: AiModel;
  /** performance.now() when the reply was created; latencies count from here. */
  startedAt: number;
  /** The chat before the reply, oldest first, when the caller has read it already. */
  history?: HistoryMessage[];
  /** What long-term memory adds to the system prompt (service.ts ReplyMemory); never throws. */
  recall?: () => Promise<string>;
  /** This reply's own sampling settings (the /v1 API's request), over the model's. */
  options?: ReplyOptions;
}

/** Sampling settings one reply may set for itself instead of its model's. */
export interface ReplyOptions {
  temperature?: number;
  maxTokens?: number;
  /** Up to 4 sequences where the provider stops. */
  stop?: string[];
}

export interface GeneratorDeps {
  /** The owner's fenced client: reads the conversation. */
  db: Db;
  /**
   * Unfenced, for the reply's own row only (`where: { id: messageId }`): the reply was
   * created through the owner's fence, and its checkpoints are the hottest writes of the
   * app. Through the fence each would be a relation-filtered update, which Prisma runs as
   * a transaction (a SELECT, then the UPDATE, and on SQLite a connection of its own).
   */
  replyDb: Db;
  /** The checkpoint write (checkpoint.ts): plain SQL on the reply's own row. */
  writeCheckpoint: WriteCheckpoint;
  secrets: SecretBox;
  settings: Config["replies"];
  /**
   * Told when even the last resort (marking the row FAILED) was refused: the row is still
   * STREAMING and nobody writes it; the reply service ends it once the database takes writes.
   */
  onNotSaved?: (messageId: string) => void;
  /** Where the model may connect (PROVIDER_* settings). */
  network: Config["providerNetwork"];
  /** After the final write stored a reply with usage (usage/: its day's row); never throws. */
  onStored?: (usage: ReplyUsage) => Promise<void>;
}

/** The longest prefix of `text` of at most `room` characters that does not split a surrogate pair. */
function cutAt(text: string, room: number): string {
  if (room <= 0) return "";
  const code = text.charCodeAt(room - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? room - 1 : room);
}

/** Prisma's "record to update not found": the reply row is gone or no longer STREAMING. */
const isNotFound = (error: unknown) => (error as { code?: unknown } | null)?.code === "P2025";

function chunkDelta(chunk: OpenAI.Chat.Completions.ChatCompletionChunk): { content: string; thinking: boolean } {
  const delta = chunk.choices?.[0]?.delta as (OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta & Record<string, unknown>) | undefined;
  const content = typeof delta?.content === "string" ? delta.content : "";
  // Reasoning models stream their thinking first under one of these names: it is
  // progress (the timeouts count it), not reply text.
  const thinking = typeof delta?.reasoning === "string" || typeof delta?.reasoning_content === "string";
  return { content, thinking };
}

/** The chat before a reply, oldest first (the reply itself and anything still streaming left out). */
export async function readHistory(db: Db, chatId: string, replyId?: string): Promise<HistoryMessage[]> {
  const recent = await db.message.findMany({
    where: { chatId, status: { not: "STREAMING" }, ...(replyId ? { id: { not: replyId } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: HISTORY_LIMIT,
    select: { role: true, content: true, status: true },
  });
  return recent.reverse();
}

export function costOf(model: Pick<AiModel, "inputCostPerMTok" | "outputCostPerMTok">, promptTokens: number, completionTokens: number) {
  return model.inputCostPerMTok.mul(promptTokens).plus(model.outputCostPerMTok.mul(completionTokens)).div(1_000_000);
}

export async function generateReply(job: GenerationJob, live: LiveReply, deps: GeneratorDeps): Promise<ReplyEnd> {
  const { db, replyDb, settings } = deps;
  const { model, messageId } = job;
  const maxTokens = job.options?.maxTokens ?? model.maxTokens;
  const signal = live.controller.signal;
  const elapsed = () => Math.round(performance.now() - job.startedAt);

  let firstTokenMs: number | null = null;
  let active = false;
  let reportedUsage: { prompt_tokens: number; completion_tokens: number } | null = null;
  let finishReason: string | null = null;
  let accepted = false;
  let failure: string | null = null;
  let estimatedPromptTokens = 0;

  // Checkpoints: at most one per interval, never two in flight, only when text changed.
  let lastCheckpointAt = performance.now();
  let checkpointed = 0;
  let checkpointing: Promise<void> | null = null;
  const checkpoint = () => {
    const now = performance.now();
    if (checkpointing || now - lastCheckpointAt < settings.checkpointMs || live.text.length === checkpointed) return;
    lastCheckpointAt = now;
    const text = live.text;
    checkpointing = deps
      .writeCheckpoint(messageId, text)
      .then((written) => {
        checkpointed = text.length;
        // Deleted with its chat, or ended by someone else (cancel of an orphan, sweep).
        if (!written) live.stop("gone");
      })
      .catch((error) => console.error(`Checkpoint of reply ${messageId} failed:`, error))
      .finally(() => {
        checkpointing = null;
      });
  };

  const firstTokenTimer = setTimeout(() => live.stop("first-token-timeout"), settings.firstTokenTimeoutMs);
  // The idle watchdog is re-armed from the last activity when it fires, not on every
  // token: noting the time is all a token costs.
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let lastActivity = 0;
  const watchIdle = (delay: number) => {
    idleTimer = setTimeout(() => {
      const quiet = performance.now() - lastActivity;
      if (quiet >= settings.idleTimeoutMs) live.stop("idle-timeout");
      else watchIdle(settings.idleTimeoutMs - quiet);
    }, delay);
  };
  const progressed = () => {
    lastActivity = performance.now();
    if (!active) {
      active = true;
      clearTimeout(firstTokenTimer);
      watchIdle(settings.idleTimeoutMs);
    }
  };

  try {
    const history = job.history ?? (await readHistory(db, job.chatId, messageId));
    const memories = (await job.recall?.()) ?? "";
    const conversation = buildConversation({
      systemPrompt: [model.systemPrompt, memories].filter((part) => part.trim() !== "").join("\n\n"),
      history,
      contextWindow: model.contextWindow ?? settings.defaultContextWindow,
      maxTokens,
    });
    estimatedPromptTokens = conversation.estimatedTokens;

    const client = providerClient(model, deps.secrets, settings.firstTokenTimeoutMs, deps.network);
    const response = await client.chat.completions
      .create(
        {
          model: model.providerModelId,
          messages: conversation.messages,
          stream: true,
          stream_options: { include_usage: true },
          temperature: job.options?.temperature ?? model.temperature,
          ...(maxTokens ? { max_tokens: maxTokens } : {}),
          ...(job.options?.stop?.length ? { stop: job.options.stop } : {}),
        },
        { signal },
      )
      .asResponse();
    accepted = true;
    for await (const chunk of chatCompletionChunks(response)) {
      const { content, thinking } = chunkDelta(chunk);
      if (content) {
        if (firstTokenMs === null) firstTokenMs = elapsed();
        progressed();
        const room = settings.maxReplyChars - live.text.length;
        if (content.length > room) {
          // Past the cap: keep what fits, abort the provider request, end FAILED.
          const fits = cutAt(content, room);
          if (fits) live.append(fits);
          live.stop("too-long");
          break;
        }
        live.append(content);
        checkpoint();
      } else if (thinking || active) {
        progressed();
      }
      const reason = chunk.choices?.[0]?.finish_reason;
      if (reason) finishReason = reason;
      if (chunk.usage) reportedUsage = storableUsage(chunk.usage) ?? reportedUsage;
    }
    // An aborted stream ends quietly; one that ends on its own must have said it finished.
    if (!signal.aborted && finishReason === null && reportedUsage === null) failure = describeCutStream(model);
  } catch (error) {
    if (!signal.aborted) {
      if (error instanceof KeyUnreadable) {
        failure = error.message;
      } else {
        failure = describeProviderError(error, model, settings);
        if (failure.includes("unexpected error")) console.error(`Reply ${messageId} failed:`, error);
      }
    }
  } finally {
    clearTimeout(firstTokenTimer);
    clearTimeout(idleTimer);
  }

  let status: Exclude<MessageStatus, "STREAMING"> = "COMPLETE";
  let error: string | null = null;
  if (live.stopReason === "cancel") status = "CANCELLED";
  else if (live.stopReason) {
    status = "FAILED";
    error = describeStop(live.stopReason, settings);
  } else if (failure) {
    status = "FAILED";
    error = failure;
  }

  let usage: ReplyUsage | null = null;
  if (reportedUsage) {
    usage = { promptTokens: reportedUsage.prompt_tokens, completionTokens: reportedUsage.completion_tokens, estimated: false, cost: 0 };
  } else if (accepted) {
    // The provider took the request but reported no usage: estimate, and say so.
    usage = { promptTokens: estimatedPromptTokens, completionTokens: estimateTokens(live.text), estimated: true, cost: 0 };
  }
  const cost = usage ? costOf(model, usage.promptTokens, usage.completionTokens) : null;
  if (usage && cost) usage.cost = cost.toNumber();

  const end: ReplyEnd = { status, error, usage, firstTokenMs, latencyMs: elapsed(), length: live.text.length, finishReason };
  await checkpointing;
  try {
    const written = await withRetries(() =>
      replyDb.message
        .update({
          where: { id: messageId, status: "STREAMING" },
          select: { id: true },
          data: {
            content: live.text,
            status,
            error,
            promptTokens: usage?.promptTokens ?? null,
            completionTokens: usage?.completionTokens ?? null,
            usageEstimated: usage?.estimated ?? false,
            cost,
            firstTokenMs,
            latencyMs: end.latencyMs,
            checkpointAt: null,
            streamingChatId: null,
          },
        })
        .catch((error) => {
          if (isNotFound(error)) return null;
          throw error;
        }),
    );
    // Counted before the end is announced, so whoever hears it finds the usage there too.
    if (written && end.usage) await deps.onStored?.(end.usage);
    if (!written) {
      // Someone else ended it (or it was deleted): announce what is stored, not ours.
      const stored = await replyDb.message.findUnique({ where: { id: messageId } });
      if (stored && stored.status !== "STREAMING") {
        Object.assign(end, {
          status: stored.status,
          error: stored.error,
          length: stored.content.length,
          usage: null,
        });
      }
    }
  } catch (writeError) {
    console.error(`Final write of reply ${messageId} failed, retries included:`, writeError);
    // What the user was shown is not stored: say so, never COMPLETE.
    Object.assign(end, { status: "FAILED", error: NOT_SAVED });
    // A smaller write (no text: the last checkpoint's stays) may pass where the whole did not.
    const marked = await replyDb.message
      .update({
        where: { id: messageId, status: "STREAMING" },
        select: { id: true },
        data: { status: "FAILED", error: NOT_SAVED, latencyMs: end.latencyMs, checkpointAt: null, streamingChatId: null },
      })
      .then(
        () => true,
        (error) => isNotFound(error),
      );
    if (!marked) deps.onNotSaved?.(messageId);
  }
  live.finish(end);
  return end;
}
