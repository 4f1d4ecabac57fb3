/** How /openapi describes the OpenAI-compatible routes (the same shapes as OpenAI's own API). */
import type { DocumentDecoration } from "elysia";

type ResponseObject = NonNullable<DocumentDecoration["responses"]>[string];

const errorResponse = (description: string): ResponseObject => ({
  description,
  content: {
    "application/json": {
      schema: {
        type: "object" as const,
        properties: {
          error: {
            type: "object" as const,
            properties: {
              message: { type: "string" as const },
              type: { type: "string" as const },
              param: { type: "string" as const, nullable: true },
              code: { type: "string" as const, nullable: true },
            },
          },
        },
      },
    },
  },
});

const common = {
  401: errorResponse("Missing, unknown, expired or revoked access token."),
  403: errorResponse("The access token has no openai scope."),
  429: errorResponse("Too many wrong access tokens from this address; Retry-After says how long to wait."),
};

const security = [{ bearerAuth: [] }];

export const modelsDoc: DocumentDecoration = {
  tags: ["OpenAI-compatible API"],
  summary: "Your active models, and the shared ones offered to you",
  description: "Each model's `id` is its name in AIUI: pass it as `model` (`owned_by`: `user` or `shared`; your own model wins a name a shared one also has). Authenticate with `Authorization: Bearer <access token with the openai scope>`.",
  security,
  responses: {
    200: {
      description: "OpenAI's model list.",
      content: { "application/json": { example: { object: "list", data: [{ id: "GPT-4o", object: "model", created: 1764432000, owned_by: "user" }] } } },
    },
    ...common,
  },
};

export const chatCompletionsDoc: DocumentDecoration = {
  tags: ["OpenAI-compatible API"],
  summary: "Chat completion (JSON or SSE stream), stored as an API chat",
  description:
    "OpenAI's request: `model` (a name from /v1/models), `messages` (system, developer, user, assistant; text and `image_url` parts with data: URLs), " +
    "`temperature`, `max_tokens`/`max_completion_tokens`, `stop`, `n: 1`, `stream`, `stream_options.include_usage`. The model's own key and system prompt are used. " +
    "The exchange is stored as a chat with source API: a conversation whose earlier messages match a chat this API answered continues it, " +
    "`X-AIUI-Chat-Id` names a chat to continue, and the response's `X-AIUI-Chat-Id` says which chat it went to. Usage, cost and latency are stored as for web replies.",
  security,
  parameters: [{ name: "X-AIUI-Chat-Id", in: "header", required: false, schema: { type: "string" }, description: "Continue this chat of yours." }],
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: {
          type: "object",
          required: ["model", "messages"],
          properties: {
            model: { type: "string" },
            messages: {
              type: "array",
              items: {
                type: "object",
                required: ["role", "content"],
                properties: {
                  role: { type: "string", enum: ["system", "developer", "user", "assistant"] },
                  content: { oneOf: [{ type: "string" }, { type: "array", items: { type: "object" } }] },
                },
              },
            },
            stream: { type: "boolean" },
            stream_options: { type: "object", properties: { include_usage: { type: "boolean" } } },
            temperature: { type: "number", minimum: 0, maximum: 2 },
            max_tokens: { type: "integer", minimum: 1 },
            max_completion_tokens: { type: "integer", minimum: 1 },
            stop: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" }, maxItems: 4 }] },
            n: { type: "integer", enum: [1] },
          },
        },
        example: { model: "GPT-4o", messages: [{ role: "user", content: "What's the capital of France?" }], stream: true, stream_options: { include_usage: true } },
      },
    },
  },
  responses: {
    200: {
      description: "`chat.completion`, or with `stream: true` a text/event-stream of `chat.completion.chunk` ending with `data: [DONE]`. Header X-AIUI-Chat-Id names the chat.",
      content: { "application/json": {}, "text/event-stream": {} },
    },
    400: errorResponse("A parameter is wrong; `param` names it."),
    404: errorResponse("No such model (or switched off), or X-AIUI-Chat-Id names no chat of yours."),
    409: errorResponse("A reply is still being written in that chat."),
    502: errorResponse("The model's provider failed (its key and internals are never shown); the message is saved in the chat."),
    ...common,
  },
};

export const transcriptionsDoc: DocumentDecoration = {
  tags: ["OpenAI-compatible API"],
  summary: "Speech to text with the server's speech recognition",
  description: "OpenAI's request: multipart `file` (WAV; with ffmpeg also mp3, ogg, m4a, webm; up to 25 MB), `model` (any name), optional `language`, `response_format` (json, text, verbose_json).",
  security,
  requestBody: {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object",
          required: ["file", "model"],
          properties: {
            file: { type: "string", format: "binary" },
            model: { type: "string", example: "whisper-1" },
            language: { type: "string", example: "en" },
            response_format: { type: "string", enum: ["json", "text", "verbose_json"] },
          },
        },
      },
    },
  },
  responses: {
    200: {
      description: "`{text}`, plain text, or verbose_json `{task, language, duration, text, segments}` (one segment spanning the recording: the backends give no timings).",
      content: { "application/json": { example: { text: "What's the capital of France?" } }, "text/plain": {} },
    },
    400: errorResponse("No file, an unreadable recording, or a wrong parameter."),
    415: errorResponse("A format that needs ffmpeg, which is not installed."),
    502: errorResponse("Speech recognition failed."),
    503: errorResponse("The speech model cannot be loaded."),
    ...common,
  },
};
