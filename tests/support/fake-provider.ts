/**
 * A loopback OpenAI-compatible provider for tests and benchmarks.
 *
 * It speaks the same wire format as api.openai.com so that the real `openai` SDK
 * (and the app code built on it) can be exercised end to end without a network.
 *
 * Endpoints (base URL `provider.url`, which ends in `/v1`):
 *   POST /v1/chat/completions     streaming (SSE) and non-streaming
 *   GET  /v1/models               the known model ids (DEFAULT_MODELS + scripted ids)
 *   POST /v1/audio/transcriptions multipart `file` + `model` -> `{ "text": ... }`
 *   POST /v1/audio/speech         JSON `{ model, input, voice }` -> a tiny MP3 (`audio/mpeg`)
 *   POST /v1/embeddings           JSON `{ model, input, encoding_format }` -> one vector per input
 *                                 (`startFakeProvider({ embeddings: false })`: 404, like providers without it)
 *
 * How a request's behaviour is chosen, first match wins:
 *   1. `scriptNext(behaviour)` queues a behaviour for the next model request (chat, transcription
 *      or speech), whatever its model id. Each queued behaviour is used once, in FIFO order.
 *   2. `script(modelId, behaviour)` applies to every request whose `model` is `modelId`;
 *      scripting an id also makes it "known" (listed by /v1/models).
 *   3. A model in DEFAULT_MODELS gets the default behaviour `{}`.
 *   4. Anything else answers 404 `model_not_found`.
 * A behaviour without `text`/`tokens` echoes: chat replies "You said: <last user message text>",
 * transcription replies DEFAULT_TRANSCRIPT. `textFor` picks the chat reply from the request.
 *
 * Embeddings never take queued behaviours (so a test's queue of chat answers is not
 * consumed by them): a model in DEFAULT_EMBEDDING_MODELS, or one scripted with `embed` or
 * `error`, answers; anything else is 404 `model_not_found`. The default vector is
 * deterministic, a hashed bag of words (EMBEDDING_DIMENSIONS buckets, common function
 * words left out, L2-normalised): texts sharing words are close, others are orthogonal
 * but for hash collisions.
 *
 * Token-count rule (deterministic, not a real tokenizer):
 *   - a reply `text` is split into tokens at word starts: each token is one word with the
 *     whitespace before it, so the tokens concatenate back to the exact text;
 *   - prompt_tokens = number of whitespace-separated words in the text of all request messages
 *     (string contents and `text` parts; images and other parts count 0);
 *   - completion_tokens = number of content tokens in the reply (after `max_tokens` truncation);
 *   - total_tokens = prompt_tokens + completion_tokens.
 *
 * Streams follow OpenAI: a first chunk `delta: {role: "assistant", content: ""}` sent as soon as the
 * request is accepted (Bun holds the response headers until the first body byte, so this is what
 * lets the SDK's `create()` resolve before the first token), one chunk per content token, a
 * final chunk with `delta: {}` and `finish_reason` ("stop", or "length" when `max_tokens` /
 * `max_completion_tokens` truncated the reply), then - only when the request asked for
 * `stream_options.include_usage` - a `choices: []` usage chunk, then `data: [DONE]`.
 */

/** Models that exist without being scripted. */
export const DEFAULT_MODELS: readonly string[] = ["echo", "whisper-1", "tts-1"];
/** Embedding models that exist without being scripted. */
export const DEFAULT_EMBEDDING_MODELS: readonly string[] = ["text-embedding-3-small"];
export const EMBEDDING_DIMENSIONS = 256;

export const DEFAULT_TRANSCRIPT = "This is a fake transcription.";

/** ID3v2 tag header followed by one silent MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz, 417 bytes). */
export const FAKE_MP3 = (() => {
  const id3 = [0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
  const frame = new Uint8Array(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  const bytes = new Uint8Array(id3.length + frame.length);
  bytes.set(id3);
  bytes.set(frame, id3.length);
  return bytes;
})();

export interface ErrorBehaviour {
  status: number;
  /** Defaults to OpenAI's message for the status. */
  message?: string;
  type?: string;
  code?: string | null;
  /** Sent as the `retry-after` header; only for 429, default 1. */
  retryAfterSeconds?: number;
}

export interface Behaviour {
  /** Reply text (chat: split into word tokens; transcription: the transcript). */
  text?: string;
  /** Explicit chat content chunks, sent verbatim; wins over `text`. */
  tokens?: string[];
  /** Chat: the reply for this request (its parsed body); undefined falls back to `text` or the echo. */
  textFor?: (request: ChatRequest) => string | undefined;
  /** Embeddings: the vector for one input text (instead of the hashed bag of words). */
  embed?: (text: string) => number[];
  /** Delay before each content token after the first. */
  delayMsPerToken?: number;
  /** Delay before the first content token. */
  firstTokenDelayMs?: number;
  /** Report usage (non-streaming `usage`, streaming usage chunk when requested). Default true. */
  usage?: boolean;
  /** Report these usage numbers instead of the counted ones (a provider that reports nonsense). */
  reportUsage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  /** Answer with this HTTP error instead of a completion. */
  error?: ErrorBehaviour;
  /**
   * Answer exactly this instead of speaking the API: a web page with 200, a redirect, a
   * plain-text error… (what a wrong base URL or another service on the address answers).
   */
  raw?: { status: number; contentType?: string; body?: string; headers?: Record<string, string> };
  /** Stream: send n tokens, then reset the connection without finish chunk or `[DONE]`. */
  cutAfterTokens?: number;
  /** Stream: send n tokens, then a `data:` line that is not JSON, then end the response. */
  malformedAfterTokens?: number;
  /** Stream: send n tokens, then nothing until the client goes away. */
  stallAfterTokens?: number;
  /** Stream: send only the role chunk, never a token. Non-streaming: never answer. */
  hangBeforeFirstToken?: boolean;
}

export interface RecordedFile {
  name: string;
  type: string;
  size: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. "/v1/chat/completions". */
  path: string;
  /** Lower-cased header names, including `authorization`. */
  headers: Record<string, string>;
  /** Parsed JSON body, when the request had one. */
  body?: unknown;
  /** Multipart form fields; files are described rather than kept. */
  form?: Record<string, string | RecordedFile>;
  /** The `model` field of the body or form, when present. */
  model?: string;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** True when the client went away before the provider finished answering. */
  aborted: boolean;
  /** A streamed reply's content tokens: performance.now() when each was handed to the connection (benchmarks time delivery from it). */
  tokenSentAt?: number[];
}

export interface FakeProvider {
  /** Base URL including `/v1`, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  script(modelId: string, behaviour: Behaviour): void;
  scriptNext(behaviour: Behaviour): void;
  /** Forget scripts, queued behaviours and recorded requests. */
  reset(): void;
  stop(): Promise<void>;
}

export interface FakeProviderOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** false: no /v1/embeddings endpoint (404), like many chat-only providers. Default true. */
  embeddings?: boolean;
}

type Fault = { kind: "cut" | "malformed" | "stall"; afterTokens: number };

/** Per-request state shared by the handlers. */
interface Exchange {
  record: RecordedRequest;
  signal: AbortSignal;
  /** Marks the answer complete, so a later disconnect is not counted as an abort. */
  finish(): void;
}

const encoder = new TextEncoder();

/** Routes whose request names a model and so goes through behaviour selection. */
const MODEL_ROUTES = new Set(["POST /v1/chat/completions", "POST /v1/audio/transcriptions", "POST /v1/audio/speech"]);

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const scripts = new Map<string, Behaviour>();
  const queued: Behaviour[] = [];
  const requests: RecordedRequest[] = [];
  let requestCounter = 0;

  function behaviourFor(model: string | undefined): Behaviour | undefined {
    const next = queued.shift();
    if (next) return next;
    if (model === undefined) return undefined;
    return scripts.get(model) ?? (DEFAULT_MODELS.includes(model) ? {} : undefined);
  }

  async function handle(req: Request, exchange: Exchange): Promise<Response> {
    const { record } = exchange;
    const requestId = `req_fake${++requestCounter}`;

    if (options.apiKey !== undefined && record.headers.authorization !== `Bearer ${options.apiKey}`) {
      return errorResponse({ status: 401 }, requestId);
    }

    const route = `${req.method} ${record.path}`;
    if (route === "GET /v1/models") return json(listModels(scripts), requestId);
    if (route === "POST /v1/embeddings" && options.embeddings !== false) return embeddings(record, scripts.get(record.model ?? ""), requestId);
    if (!MODEL_ROUTES.has(route)) {
      return errorResponse({ status: 404, message: `Invalid URL (${route})`, code: null }, requestId);
    }
    const hasBody = record.form !== undefined || (typeof record.body === "object" && record.body !== null);
    if (!hasBody) {
      return errorResponse({ status: 400, message: "We could not parse the JSON body of your request." }, requestId);
    }

    const behaviour = behaviourFor(record.model);
    if (!behaviour) {
      return errorResponse(
        {
          status: 404,
          message: `The model \`${record.model ?? ""}\` does not exist or you do not have access to it.`,
          code: "model_not_found",
        },
        requestId,
      );
    }
    if (behaviour.error) return errorResponse(behaviour.error, requestId);
    if (behaviour.raw) {
      const { status, contentType, body, headers } = behaviour.raw;
      return new Response(body ?? null, { status, headers: { ...(contentType ? { "content-type": contentType } : {}), ...headers } });
    }

    if (route === "POST /v1/audio/transcriptions") return transcribe(record, behaviour, requestId);
    if (route === "POST /v1/audio/speech") return speak(record, requestId);
    return complete(exchange, behaviour, requestId);
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // Stalled and hanging streams must stay open until the client gives up, not Bun's 10 s default.
    idleTimeout: 0,
    async fetch(req) {
      const record: RecordedRequest = {
        method: req.method,
        path: new URL(req.url).pathname,
        headers: Object.fromEntries(req.headers),
        receivedAt: Date.now(),
        aborted: false,
      };
      requests.push(record);
      let finished = false;
      req.signal.addEventListener("abort", () => {
        if (!finished) record.aborted = true;
      });
      await recordBody(req, record);
      const exchange: Exchange = { record, signal: req.signal, finish: () => (finished = true) };
      const response = await handle(req, exchange);
      // Streams finish themselves when their last byte is queued.
      if (!response.headers.get("content-type")?.startsWith("text/event-stream")) exchange.finish();
      return response;
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    requests,
    script: (modelId, behaviour) => void scripts.set(modelId, behaviour),
    scriptNext: (behaviour) => void queued.push(behaviour),
    reset() {
      scripts.clear();
      queued.length = 0;
      requests.length = 0;
    },
    stop: () => server.stop(true),
  };
}

/** Fills in the parsed body (JSON) or form fields (multipart) and the model they name. */
async function recordBody(req: Request, record: RecordedRequest): Promise<void> {
  const contentType = req.headers.get("content-type") ?? "";
  if (contentType.startsWith("multipart/form-data")) {
    record.form = {};
    for (const [key, value] of await req.formData()) {
      record.form[key] = typeof value === "string" ? value : { name: value.name, type: value.type, size: value.size };
    }
    const model = record.form.model;
    if (typeof model === "string") record.model = model;
  } else if (req.method === "POST") {
    try {
      record.body = await req.json();
    } catch {
      // Left undefined: the handler answers 400 like OpenAI does for unparsable bodies.
    }
    const model = (record.body as { model?: unknown } | undefined)?.model;
    if (typeof model === "string") record.model = model;
  }
}

function listModels(scripts: Map<string, Behaviour>) {
  const ids = new Set<string>([...DEFAULT_MODELS, ...scripts.keys()]);
  return {
    object: "list",
    data: [...ids].map((id) => ({ id, object: "model", created: 0, owned_by: "fake-provider" })),
  };
}

// ---------------------------------------------------------------------------------------------
// Chat completions

export interface ChatRequest {
  model: string;
  messages?: { role?: string; content?: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
}

function complete(exchange: Exchange, behaviour: Behaviour, requestId: string): Response | Promise<Response> {
  const request = (exchange.record.body ?? {}) as ChatRequest;
  if (!Array.isArray(request.messages)) {
    return errorResponse({ status: 400, message: "Missing required parameter: 'messages'." }, requestId);
  }

  const allTokens =
    behaviour.tokens ?? splitTokens(behaviour.textFor?.(request) ?? behaviour.text ?? `You said: ${lastUserText(request.messages)}`);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  const tokens = maxTokens === undefined ? allTokens : allTokens.slice(0, maxTokens);
  const promptTokens = request.messages.reduce((sum, message) => sum + countWords(messageText(message.content)), 0);
  const reply: Reply = {
    id: `chatcmpl-${requestId}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    tokens,
    finishReason: tokens.length < allTokens.length ? "length" : "stop",
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    },
  };
  if (behaviour.reportUsage) Object.assign(reply.usage, behaviour.reportUsage);
  const wantsUsage = behaviour.usage !== false;
  const fault = faultOf(behaviour);

  if (request.stream) {
    const includeUsage = wantsUsage && request.stream_options?.include_usage === true;
    return streamReply(exchange, reply, behaviour, fault, includeUsage, requestId);
  }
  return answerReply(exchange, reply, behaviour, fault, wantsUsage, requestId);
}

interface Reply {
  id: string;
  created: number;
  model: string;
  tokens: string[];
  finishReason: "stop" | "length";
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function faultOf(behaviour: Behaviour): Fault | undefined {
  const { hangBeforeFirstToken, cutAfterTokens, malformedAfterTokens, stallAfterTokens } = behaviour;
  if (hangBeforeFirstToken) return { kind: "stall", afterTokens: 0 };
  if (cutAfterTokens !== undefined) return { kind: "cut", afterTokens: cutAfterTokens };
  if (malformedAfterTokens !== undefined) return { kind: "malformed", afterTokens: malformedAfterTokens };
  if (stallAfterTokens !== undefined) return { kind: "stall", afterTokens: stallAfterTokens };
  return undefined;
}

function tokenDelay(behaviour: Behaviour, index: number): number {
  return index === 0 ? (behaviour.firstTokenDelayMs ?? 0) : (behaviour.delayMsPerToken ?? 0);
}

function streamReply(
  exchange: Exchange,
  reply: Reply,
  behaviour: Behaviour,
  fault: Fault | undefined,
  includeUsage: boolean,
  requestId: string,
): Response {
  const { signal } = exchange;
  const tokensToSend = fault ? Math.min(fault.afterTokens, reply.tokens.length) : reply.tokens.length;
  // OpenAI puts `usage: null` on every chunk once the client asked for usage.
  const chunk = (choices: unknown[], usage: Reply["usage"] | null = null) =>
    `data: ${JSON.stringify({
      id: reply.id,
      object: "chat.completion.chunk",
      created: reply.created,
      model: reply.model,
      system_fingerprint: null,
      choices,
      ...(includeUsage ? { usage } : {}),
    })}\n\n`;
  const choice = (delta: object, finishReason: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!signal.aborted) controller.enqueue(encoder.encode(text));
      };
      const end = () => {
        exchange.finish();
        if (!signal.aborted) controller.close();
      };

      send(chunk([choice({ role: "assistant", content: "", refusal: null }, null)]));
      const sentAt: number[] = [];
      exchange.record.tokenSentAt = sentAt;
      for (let i = 0; i < tokensToSend; i++) {
        await sleep(tokenDelay(behaviour, i), signal);
        if (signal.aborted) return;
        send(chunk([choice({ content: reply.tokens[i] }, null)]));
        sentAt.push(performance.now());
      }

      switch (fault?.kind) {
        case "cut":
          exchange.finish();
          // Bun drops bytes still queued when a body errors, so let the tokens reach the socket first.
          await Bun.sleep(10);
          // Erroring the body makes Bun reset the connection mid-response, like a dropped upstream.
          // No reason given: Bun would log one as an error.
          controller.error();
          return;
        case "malformed":
          send('data: {"id": "chatcmpl-broken", "choices": [ this is not json\n\n');
          end();
          return;
        case "stall":
          await untilAborted(signal);
          return;
      }

      send(chunk([choice({}, reply.finishReason)]));
      if (includeUsage) send(chunk([], reply.usage));
      send("data: [DONE]\n\n");
      end();
    },
  });

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-request-id": requestId,
    },
  });
}

async function answerReply(
  exchange: Exchange,
  reply: Reply,
  behaviour: Behaviour,
  fault: Fault | undefined,
  includeUsage: boolean,
  requestId: string,
): Promise<Response> {
  const { signal } = exchange;
  // Simulate generation time: the whole reply is ready when the last token would have been sent.
  const tokensGenerated = fault ? Math.min(fault.afterTokens, reply.tokens.length) : reply.tokens.length;
  for (let i = 0; i < tokensGenerated; i++) await sleep(tokenDelay(behaviour, i), signal);

  switch (fault?.kind) {
    case "cut":
      exchange.finish();
      return new Response(new ReadableStream({ start: (controller) => controller.error() }));
    case "malformed":
      return new Response('{"id": "chatcmpl-broken", "choices": [ this is not json', {
        headers: { "content-type": "application/json", "x-request-id": requestId },
      });
    case "stall":
      await untilAborted(signal);
      // The client is gone; this answer is never sent.
      return new Response(null, { status: 499 });
  }

  return json(
    {
      id: reply.id,
      object: "chat.completion",
      created: reply.created,
      model: reply.model,
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: reply.tokens.join(""), refusal: null },
          logprobs: null,
          finish_reason: reply.finishReason,
        },
      ],
      ...(includeUsage ? { usage: reply.usage } : {}),
    },
    requestId,
  );
}

/** Words with their leading whitespace (plus any trailing whitespace), so `join("")` restores the text. */
function splitTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

/** The text of a message's content: a string, or the `text` parts of a content-part array. */
function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((part): part is { type: "text"; text: string } => part?.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join(" ");
}

function lastUserText(messages: { role?: string; content?: unknown }[]): string {
  const lastUser = messages.findLast((message) => message.role === "user");
  return lastUser ? messageText(lastUser.content) : "";
}

// ---------------------------------------------------------------------------------------------
// Audio

function transcribe(record: RecordedRequest, behaviour: Behaviour, requestId: string): Response {
  if (typeof record.form?.file !== "object") {
    return errorResponse({ status: 400, message: "Missing required parameter: 'file'." }, requestId);
  }
  const text = behaviour.text ?? behaviour.tokens?.join("") ?? DEFAULT_TRANSCRIPT;
  if (record.form.response_format === "text") {
    return new Response(text, { headers: { "content-type": "text/plain; charset=utf-8", "x-request-id": requestId } });
  }
  return json({ text }, requestId);
}

function speak(record: RecordedRequest, requestId: string): Response {
  const input = (record.body as { input?: unknown } | undefined)?.input;
  if (typeof input !== "string" || input === "") {
    return errorResponse({ status: 400, message: "Missing required parameter: 'input'." }, requestId);
  }
  return new Response(FAKE_MP3, { headers: { "content-type": "audio/mpeg", "x-request-id": requestId } });
}

// ---------------------------------------------------------------------------------------------
// Embeddings

const EMBEDDING_STOP_WORDS = new Set("a an the and or of to in on at is am are was were be i me my you your it this that what do does".split(" "));

/** The default vector: words (lower case, letters and digits) hashed (FNV-1a) into buckets, L2-normalised. */
export function bagOfWordsVector(text: string): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (EMBEDDING_STOP_WORDS.has(word)) continue;
    let hash = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0;
    vector[hash % EMBEDDING_DIMENSIONS]! += 1;
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

function embeddings(record: RecordedRequest, scripted: Behaviour | undefined, requestId: string): Response {
  const body = (record.body ?? {}) as { model?: unknown; input?: unknown; encoding_format?: unknown };
  if (scripted?.error) return errorResponse(scripted.error, requestId);
  if (typeof body.model !== "string" || !(scripted?.embed || DEFAULT_EMBEDDING_MODELS.includes(body.model))) {
    return errorResponse(
      { status: 404, message: `The model \`${String(body.model ?? "")}\` does not exist or you do not have access to it.`, code: "model_not_found" },
      requestId,
    );
  }
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === "string")) {
    return errorResponse({ status: 400, message: "'input' must be a string or a non-empty array of strings." }, requestId);
  }
  const vectorOf = scripted?.embed ?? bagOfWordsVector;
  const data = (inputs as string[]).map((text, index) => {
    const vector = vectorOf(text);
    const embedding = body.encoding_format === "base64" ? Buffer.from(Float32Array.from(vector).buffer).toString("base64") : vector;
    return { object: "embedding", index, embedding };
  });
  const tokens = (inputs as string[]).reduce((sum, text) => sum + countWords(text), 0);
  return json({ object: "list", data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }, requestId);
}

// ---------------------------------------------------------------------------------------------
// Responses and timing helpers

const ERROR_DEFAULTS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: "Invalid request.", type: "invalid_request_error", code: null },
  401: {
    message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    code: "invalid_api_key",
  },
  404: { message: "Not found.", type: "invalid_request_error", code: null },
  429: {
    message: "Rate limit reached for requests. Please try again in 1s.",
    type: "requests",
    code: "rate_limit_exceeded",
  },
  500: {
    message: "The server had an error while processing your request. Sorry about that!",
    type: "server_error",
    code: null,
  },
};

function errorResponse(spec: ErrorBehaviour, requestId: string): Response {
  const fallback = ERROR_DEFAULTS[spec.status] ?? {
    message: `Fake provider error ${spec.status}.`,
    type: spec.status >= 500 ? "server_error" : "invalid_request_error",
    code: null,
  };
  const headers: Record<string, string> = {};
  if (spec.status === 429) headers["retry-after"] = String(spec.retryAfterSeconds ?? 1);
  return json(
    {
      error: {
        message: spec.message ?? fallback.message,
        type: spec.type ?? fallback.type,
        param: null,
        code: spec.code === undefined ? fallback.code : spec.code,
      },
    },
    requestId,
    spec.status,
    headers,
  );
}

function json(value: unknown, requestId: string, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(value, { status, headers: { "x-request-id": requestId, ...headers } });
}

/** Resolves after `ms` (never, when Infinity), or as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return sleep(Number.POSITIVE_INFINITY, signal);
}
