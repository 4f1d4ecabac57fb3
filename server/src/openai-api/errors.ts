/**
 * Failures in OpenAI's error shape, `{"error": {"message", "type", "param", "code"}}`, with
 * the status OpenAI gives the same failure, so that clients (the `openai` SDKs raise
 * AuthenticationError, NotFoundError, RateLimitError… from the status) react as they would
 * to OpenAI. Messages are our sentences: never a provider's key, URL internals or a stack.
 */
import { AppError, httpStatusOf, RateLimited } from "../errors.ts";
import { AudioDecodeError, SpeechModelUnavailableError, TranscriptionError, UnsupportedAudioError } from "../speech/index.ts";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class OpenAIError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Seconds, for 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "OpenAIError";
  }

  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** The model's provider failed: the reply's stored sentence (provider-errors.ts keeps keys and internals out). */
export const providerFailed = (message: string) => new OpenAIError(502, message, "api_error", "provider_error");

const INTERNAL = "Something went wrong on the server. Try again; if it keeps happening, tell the administrator.";

const TYPES: Record<AppError["code"], { type: string; code: string | null }> = {
  BAD_USER_INPUT: { type: "invalid_request_error", code: null },
  UNAUTHENTICATED: { type: "invalid_request_error", code: "invalid_api_key" },
  FORBIDDEN: { type: "permission_error", code: "insufficient_scope" },
  NOT_FOUND: { type: "invalid_request_error", code: "not_found" },
  RATE_LIMITED: { type: "requests", code: "rate_limit_exceeded" },
  CONFLICT: { type: "invalid_request_error", code: "conflict" },
  UNAVAILABLE: { type: "server_error", code: "unavailable" },
  BUDGET_EXCEEDED: { type: "insufficient_quota", code: "budget_exceeded" },
};

/** Any failure as an OpenAIError; unexpected ones are logged once and masked. */
export function asOpenAIError(error: unknown): OpenAIError {
  if (error instanceof OpenAIError) return error;
  if (error instanceof AppError) {
    const { type, code } = TYPES[error.code] ?? { type: "invalid_request_error", code: null };
    const retryAfter = error instanceof RateLimited ? error.retryAfterSeconds : undefined;
    return new OpenAIError(httpStatusOf[error.code] ?? 400, error.message, type, code, error.field ?? null, retryAfter);
  }
  if (error instanceof UnsupportedAudioError) return new OpenAIError(415, error.message, "invalid_request_error", "unsupported_audio", "file");
  if (error instanceof AudioDecodeError) return new OpenAIError(400, error.message, "invalid_request_error", "invalid_audio", "file");
  if (error instanceof SpeechModelUnavailableError) return new OpenAIError(503, error.message, "server_error", "speech_unavailable");
  if (error instanceof TranscriptionError) return new OpenAIError(502, error.message, "api_error", "transcription_failed");
  console.error("Unexpected error on the OpenAI-compatible API:", error);
  return new OpenAIError(500, INTERNAL, "server_error", "internal_error");
}
