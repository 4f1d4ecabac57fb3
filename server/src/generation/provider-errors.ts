/**
 * Provider failures in words a user can act on. The reply's `error` column holds these;
 * they name the model and host, never the API key, and never a stack trace.
 */
import OpenAI from "openai";
import { INTERRUPTED, replyTooLong } from "./reply-errors.ts";

/** Why a generation was stopped from our side. */
export type StopReason = "cancel" | "first-token-timeout" | "idle-timeout" | "shutdown" | "gone" | "too-long";

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

/** The provider's own message, without the "404 " prefix the SDK adds, cut short. */
function providerMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const raw = (error.error as { message?: unknown } | undefined)?.message;
  const text = typeof raw === "string" ? raw : error.message.replace(/^\d{3}\s*/, "");
  const clean = text.replace(/\s+/g, " ").trim();
  return clean.length > 200 ? `${clean.slice(0, 197)}…` : clean;
}

function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

export function describeStop(reason: StopReason, timeouts: { firstTokenTimeoutMs: number; idleTimeoutMs: number; maxReplyChars?: number }): string | null {
  switch (reason) {
    case "first-token-timeout":
      return `The model did not start answering within ${seconds(timeouts.firstTokenTimeoutMs)}. Try again; if it keeps happening, check that the model is running.`;
    case "idle-timeout":
      return `The model stopped sending for ${seconds(timeouts.idleTimeoutMs)} in the middle of its reply. Try again.`;
    case "shutdown":
      return INTERRUPTED;
    case "too-long":
      return replyTooLong(timeouts.maxReplyChars ?? 0);
    case "cancel":
    case "gone":
      return null;
  }
}

export function describeProviderError(
  error: unknown,
  model: { baseUrl: string; providerModelId: string },
  timeouts: { firstTokenTimeoutMs: number; idleTimeoutMs: number },
): string {
  const host = hostOf(model.baseUrl);
  if (error instanceof OpenAI.APIConnectionTimeoutError) return describeStop("first-token-timeout", timeouts)!;
  if (error instanceof OpenAI.APIConnectionError) {
    const code = codeOf(error.cause);
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "DNSException") {
      return `Could not find the host ${host}. Check the model's base URL.`;
    }
    if (code === "ECONNREFUSED" || code === "ConnectionRefused") {
      return `Could not connect to ${host}: connection refused. Check the model's base URL and that the provider is running.`;
    }
    if (code && /CERT|SSL|TLS/i.test(code)) {
      return `Could not connect securely to ${host} (${code}). Check the model's base URL.`;
    }
    return `Could not connect to ${host}${code ? ` (${code})` : ""}. Check the model's base URL and your network.`;
  }
  if (error instanceof OpenAI.APIError && typeof error.status === "number") {
    const status = error.status;
    if (status === 401) return `The provider at ${host} rejected the API key (401). Check the model's API key.`;
    if (status === 403) return `The provider at ${host} refused access (403): ${providerMessage(error)}`;
    if (status === 404) {
      return `The provider at ${host} does not know the model "${model.providerModelId}" (404). Check the model id and base URL.`;
    }
    if (status === 429) {
      const retryAfter = error.headers?.get("retry-after");
      const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Wait ${retryAfter} s and try again.` : " Wait a moment and try again.";
      return `Rate limited by the provider at ${host} (429).${wait}`;
    }
    if (status >= 500) return `The provider at ${host} had an internal error (${status}). Try again later.`;
    return `The provider at ${host} rejected the request (${status}): ${providerMessage(error)}`;
  }
  if (error instanceof SyntaxError || (error instanceof OpenAI.OpenAIError && /JSON|parse/i.test(error.message))) {
    return `The provider at ${host} sent a reply that could not be read (malformed stream). Try again.`;
  }
  const code = codeOf(error);
  if (code === "ECONNRESET" || /socket|terminated|closed unexpectedly|ECONNRESET/i.test(String((error as Error)?.message))) {
    return `The connection to ${host} was lost in the middle of the reply. Try again.`;
  }
  return `The reply failed with an unexpected error talking to ${host}. Try again; if it keeps happening, tell the administrator.`;
}

/** The stream ended without a finish reason or usage: the provider hung up early. */
export function describeCutStream(model: { baseUrl: string }): string {
  return `The connection to ${hostOf(model.baseUrl)} ended before the reply was finished. Try again.`;
}
