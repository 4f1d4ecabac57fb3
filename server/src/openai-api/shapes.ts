/**
 * OpenAI's response objects, built from an AIUI reply: `chat.completion` (non-streaming)
 * and the `chat.completion.chunk` stream (a first chunk with the role, one per piece of
 * text, one with finish_reason, then, with stream_options.include_usage, one with no
 * choices and the usage; every chunk before it carries `usage: null`), as OpenAI sends them.
 */
import type { ReplyUsage } from "../generation/index.ts";

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export function usageOf(usage: ReplyUsage | null) {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** OpenAI's finish_reason for a reply: "length" when the provider stopped at max_tokens, else "stop". */
export const finishReasonOf = (providerReason: string | null | undefined): "stop" | "length" => (providerReason === "length" ? "length" : "stop");

export function completion(meta: CompletionMeta, text: string, usage: ReplyUsage | null, finishReason: "stop" | "length") {
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: "assistant" as const, content: text, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage: usageOf(usage),
    system_fingerprint: null,
  };
}

export function chunk(meta: CompletionMeta, delta: { role?: "assistant"; content?: string }, finishReason: "stop" | "length" | null, includeUsage: boolean) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

export function usageChunk(meta: CompletionMeta, usage: ReplyUsage | null) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [],
    usage: usageOf(usage),
  };
}

export const sseData = (value: unknown) => `data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`;

/**
 * The `data:` line of a chunk carrying text, as `sseData(chunk(meta, { content }, null, includeUsage))`
 * writes it, with everything but the text serialised once per stream: that chunk is sent for
 * every piece of every reply. The constant parts are cut from a real chunk around a marker,
 * so the bytes are the same by construction (the text is the last string in the chunk).
 */
export function contentChunkLines(meta: CompletionMeta, includeUsage: boolean): (content: string) => string {
  const marker = JSON.stringify("\u0000content\u0000");
  const sample = sseData(chunk(meta, { content: "\u0000content\u0000" }, null, includeUsage));
  const at = sample.lastIndexOf(marker);
  const head = sample.slice(0, at);
  const tail = sample.slice(at + marker.length);
  return (content) => head + JSON.stringify(content) + tail;
}
