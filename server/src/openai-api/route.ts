/**
 * The OpenAI-compatible API at /v1 (scope `openai`): GET /v1/models, POST
 * /v1/chat/completions (JSON or SSE), POST /v1/audio/transcriptions. Thin: who is asking
 * (identity), what was asked (schemas.ts), the work (service.ts), OpenAI's shapes
 * (shapes.ts) and error bodies (errors.ts).
 */
import { Elysia } from "elysia";
import type { Identity } from "../accounts/index.ts";
import { asOpenAIError, OpenAIError, providerFailed } from "./errors.ts";
import { chatCompletionsDoc, modelsDoc, transcriptionsDoc } from "./openapi.ts";
import { parseChatCompletionRequest, parseTranscriptionRequest } from "./schemas.ts";
import { findApiModel, listApiModels, modelEntry, type OpenAIApiDependencies, startCompletion, transcribe } from "./service.ts";
import { completion, finishReasonOf } from "./shapes.ts";
import { completionStream } from "./sse.ts";

/** The request header naming the chat to continue, and the response header naming the chat used. */
export const CHAT_ID_HEADER = "x-aiui-chat-id";

type ServerLike = { requestIP(request: Request): { address: string } | null } | null;
type AddressOf = (request: Request, server: ServerLike) => string;

/**
 * Any origin may call /v1 (chat UIs that run in the browser): authentication is the bearer
 * token the page holds, never a cookie (no credentials are allowed), so another site can
 * do nothing with a visitor's session here. Scripts read which chat a reply went to.
 */
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": `${CHAT_ID_HEADER}, retry-after`,
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...CORS_HEADERS, ...headers } });
}

/** A browser's preflight: the methods /v1 serves and whatever headers the page means to send (the SDKs add their own). */
function preflight(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...CORS_HEADERS,
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? `authorization, content-type, ${CHAT_ID_HEADER}`,
      "access-control-max-age": "600",
    },
  });
}

function failure(error: unknown, headers: Record<string, string> = {}): Response {
  const refusal = asOpenAIError(error);
  return json(refusal.status, refusal.body(), { ...headers, ...(refusal.retryAfter ? { "retry-after": String(refusal.retryAfter) } : {}) });
}

async function jsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new OpenAIError(400, "The request body is not valid JSON.", "invalid_request_error", "invalid_json");
  }
}

export function openaiRoutes(identity: Identity, deps: OpenAIApiDependencies, addressOf: AddressOf) {
  const caller = (request: Request, server: ServerLike) => identity.fromBearer(request, "openai", addressOf(request, server));

  async function chatCompletions(request: Request, server: ServerLike): Promise<Response> {
    let chatHeader: Record<string, string> = {};
    try {
      const who = await caller(request, server);
      const asked = parseChatCompletionRequest(await jsonBody(request));
      const namedChat = request.headers.get(CHAT_ID_HEADER)?.trim() || null;
      const started = await startCompletion(deps, who, asked, namedChat);
      chatHeader = { [CHAT_ID_HEADER]: started.chatId };
      const meta = { id: `chatcmpl-${started.replyId}`, created: started.created, model: started.model.name };

      if (!asked.stream) {
        let text = "";
        for await (const event of started.events) {
          text = event.offset === text.length ? text + event.delta : text.slice(0, event.offset) + event.delta;
          if (!event.done) continue;
          if (event.status === "FAILED") return failure(providerFailed(event.error ?? "The model's provider failed."), chatHeader);
          return json(200, completion(meta, text, event.usage, finishReasonOf(event.finishReason)), chatHeader);
        }
        return failure(providerFailed("The reply ended without an answer."), chatHeader);
      }

      const body = completionStream(meta, started.events, asked.includeUsage);
      return new Response(body, {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...CORS_HEADERS, ...chatHeader },
      });
    } catch (error) {
      return failure(error, chatHeader);
    }
  }

  return new Elysia({ name: "openai-api" })
    .options("/v1/*", ({ request }) => preflight(request), { detail: { hide: true } })
    .get(
      "/v1/models",
      async ({ request, server }) => {
        try {
          const { db } = await caller(request, server);
          return json(200, { object: "list", data: (await listApiModels(db)).map(modelEntry) });
        } catch (error) {
          return failure(error);
        }
      },
      { detail: modelsDoc },
    )
    .get(
      "/v1/models/:model",
      async ({ request, server, params }) => {
        try {
          const { db } = await caller(request, server);
          return json(200, modelEntry(await findApiModel(db, decodeURIComponent(params.model))));
        } catch (error) {
          return failure(error);
        }
      },
      { detail: { ...modelsDoc, summary: "One of your models, by name" } },
    )
    .post("/v1/chat/completions", ({ request, server }) => chatCompletions(request, server), { parse: "none", detail: chatCompletionsDoc })
    .post(
      "/v1/audio/transcriptions",
      async ({ request, server }) => {
        try {
          await caller(request, server);
          const form = await request.formData().catch(() => {
            throw new OpenAIError(400, "Send the recording as multipart/form-data with a file field.", "invalid_request_error", "invalid_form", "file");
          });
          const asked = await parseTranscriptionRequest(form);
          const heard = await transcribe(deps, asked);
          if (asked.format === "text") return new Response(`${heard.text}\n`, { headers: { "content-type": "text/plain; charset=utf-8", ...CORS_HEADERS } });
          if (asked.format === "json") return json(200, { text: heard.text });
          return json(200, {
            task: "transcribe",
            language: heard.language ?? "",
            duration: heard.duration,
            text: heard.text,
            // AIUI's speech backends give the text without timings: one segment spans the recording.
            segments: heard.text ? [{ id: 0, seek: 0, start: 0, end: heard.duration, text: heard.text, tokens: [], temperature: 0 }] : [],
          });
        } catch (error) {
          return failure(error);
        }
      },
      { parse: "none", detail: transcriptionsDoc },
    );
}
