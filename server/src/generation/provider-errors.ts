/**
 * Provider failures in words a user can act on. The reply's `error` column holds these;
 * they name the model and host, never the API key, and never a stack trace.
 */
import OpenAI from "openai";
import { INTERRUPTED, replyTooLong } from "./reply-errors.ts";
import { ProviderAddressRefused, ProviderRedirected } from "../egress/index.ts";

/** The provider answered 2xx with something that is not an API response (a web page, mostly). */
export class ProviderNotAnApi extends Error {
  constructor(host: string, contentType: string) {
    super(
      /html/i.test(contentType)
        ? `The provider at ${host} answered with a web page instead of an API response: check the base URL (it usually ends in /v1).`
        : `The provider at ${host} answered with ${contentType || "an unknown content type"} instead of an API response: check the base URL (it usually ends in /v1).`,
    );
    this.name = "ProviderNotAnApi";
  }
}

/** Failures our own fetch raised before or instead of an answer; their messages are written for the user. */
const OWN_FAILURES = [ProviderAddressRefused, ProviderRedirected, ProviderNotAnApi];

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

const EXCERPT_CHARS = 200;

/**
 * The provider's own explanation, from its JSON error (`error.message`, or `error` as a
 * string) only: a short excerpt of printable text, no markup. A body that is not JSON (an
 * HTML error page, whatever some service on that address says) is never repeated to the user.
 */
function providerMessage(error: InstanceType<typeof OpenAI.APIError>): string | null {
  const body = error.error as { message?: unknown } | string | undefined;
  const raw = typeof body === "string" ? body : body?.message;
  if (typeof raw !== "string") return null;
  const clean = raw
    .replace(/<[^>]*>/g, " ")
    .replace(/[\p{C}]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (clean === "") return null;
  return clean.length > EXCERPT_CHARS ? `${clean.slice(0, EXCERPT_CHARS - 1)}…` : clean;
}

/** "(400): excerpt" or "(400)." when the provider gave no readable explanation. */
function statusWithExcerpt(error: InstanceType<typeof OpenAI.APIError>, status: number): string {
  const excerpt = providerMessage(error);
  return excerpt ? `(${status}): ${excerpt}` : `(${status}).`;
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
  const own = [error, (error as { cause?: unknown } | null)?.cause].find((e) => OWN_FAILURES.some((kind) => e instanceof kind));
  if (own) return (own as Error).message;
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
    if (status === 403) return `The provider at ${host} refused access ${statusWithExcerpt(error, status)}`;
    if (status === 404) {
      return `The provider at ${host} does not know the model "${model.providerModelId}" (404). Check the model id and base URL.`;
    }
    if (status === 429) {
      const retryAfter = error.headers?.get("retry-after");
      const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Wait ${retryAfter} s and try again.` : " Wait a moment and try again.";
      return `Rate limited by the provider at ${host} (429).${wait}`;
    }
    if (status >= 500) return `The provider at ${host} had an internal error (${status}). Try again later.`;
    return `The provider at ${host} rejected the request ${statusWithExcerpt(error, status)}`;
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
