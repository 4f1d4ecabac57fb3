import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParams } from "openai/resources/chat/completions";
import { bagOfWordsVector, DEFAULT_TRANSCRIPT, EMBEDDING_DIMENSIONS, type FakeProvider, type RecordedRequest, startFakeProvider } from "./fake-provider.ts";

const API_KEY = "sk-test-key";

let provider: FakeProvider;
let client: OpenAI;

beforeAll(async () => {
  provider = await startFakeProvider({ apiKey: API_KEY });
  // No retries: every test expects exactly one request per call.
  client = new OpenAI({ baseURL: provider.url, apiKey: API_KEY, maxRetries: 0 });
});
afterAll(() => provider.stop());
beforeEach(() => provider.reset());

const hello = [{ role: "user" as const, content: "hello there world" }];

interface Received {
  chunk: ChatCompletionChunk;
  at: number;
}

async function streamChat(
  params: Omit<ChatCompletionCreateParams, "stream" | "messages"> & {
    messages?: ChatCompletionCreateParams["messages"];
  },
  onChunk?: (received: Received[]) => void,
): Promise<Received[]> {
  const stream = await client.chat.completions.create({ messages: hello, ...params, stream: true });
  const received: Received[] = [];
  for await (const chunk of stream) {
    received.push({ chunk, at: performance.now() });
    onChunk?.(received);
  }
  return received;
}

function contentOf(received: Received[]): string {
  return received.map(({ chunk }) => chunk.choices[0]?.delta.content ?? "").join("");
}

function contentChunks(received: Received[]): Received[] {
  return received.filter(({ chunk }) => chunk.choices[0]?.delta.content);
}

async function waitFor(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

/** The SDK's APIPromise looks settled to `expect().rejects`, so unwrap it through `then`. */
async function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );
}

async function apiErrorOf(promise: PromiseLike<unknown>): Promise<APIError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

function lastRequest(): RecordedRequest {
  const request = provider.requests.at(-1);
  if (!request) throw new Error("no request recorded");
  return request;
}

describe("chat completions, streaming", () => {
  test("echoes the last user message in the OpenAI chunk format", async () => {
    const received = await streamChat({ model: "echo" });

    expect(contentOf(received)).toBe("You said: hello there world");
    const first = received[0].chunk;
    expect(first.object).toBe("chat.completion.chunk");
    expect(first.model).toBe("echo");
    expect(first.choices[0].delta).toEqual({ role: "assistant", content: "", refusal: null });
    // One chunk per word, all sharing the completion id.
    expect(contentChunks(received).map(({ chunk }) => chunk.choices[0].delta.content)).toEqual([
      "You",
      " said:",
      " hello",
      " there",
      " world",
    ]);
    expect(new Set(received.map(({ chunk }) => chunk.id)).size).toBe(1);
    const last = received.at(-1)?.chunk;
    expect(last?.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(last && "usage" in last).toBe(false);
  });

  test("records method, path, authorization and the parsed body, including image parts", async () => {
    const messages: ChatCompletionCreateParams["messages"] = [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ],
      },
    ];
    const received = await streamChat({ model: "echo", messages });

    expect(contentOf(received)).toBe("You said: What is this?");
    const request = lastRequest();
    expect(request).toMatchObject({ method: "POST", path: "/v1/chat/completions", model: "echo", aborted: false });
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.body).toMatchObject({ stream: true, messages });
    expect(request.receivedAt).toBeNumber();
  });

  test("sends scripted text and explicit tokens verbatim", async () => {
    provider.script("scripted", { text: "  Leading and trailing  " });
    expect(contentOf(await streamChat({ model: "scripted" }))).toBe("  Leading and trailing  ");

    provider.script("scripted", { tokens: ["Hel", "lo", "!"] });
    const received = await streamChat({ model: "scripted" });
    expect(contentChunks(received).map(({ chunk }) => chunk.choices[0].delta.content)).toEqual(["Hel", "lo", "!"]);
  });

  test("spreads tokens over time with firstTokenDelayMs and delayMsPerToken", async () => {
    provider.script("slow", { tokens: ["a", "b", "c", "d", "e"], firstTokenDelayMs: 60, delayMsPerToken: 30 });
    const started = performance.now();
    const times = contentChunks(await streamChat({ model: "slow" })).map(({ at }) => at);

    expect(times).toHaveLength(5);
    expect(times[0] - started).toBeGreaterThanOrEqual(50);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(20);
  });

  test("sends the usage chunk only when include_usage is asked for and usage is enabled", async () => {
    const received = await streamChat({ model: "echo", stream_options: { include_usage: true } });
    const usageChunk = received.at(-1)?.chunk;
    expect(usageChunk?.choices).toEqual([]);
    // Prompt: 3 words; reply "You said: hello there world": 5 tokens.
    expect(usageChunk?.usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    expect(received[0].chunk.usage).toBeNull();

    provider.script("no-usage", { text: "ok", usage: false });
    const withoutUsage = await streamChat({ model: "no-usage", stream_options: { include_usage: true } });
    expect(withoutUsage.some(({ chunk }) => chunk.usage)).toBe(false);
    expect(withoutUsage.at(-1)?.chunk.choices[0].finish_reason).toBe("stop");
  });

  test("truncates to max_tokens with finish_reason length", async () => {
    const received = await streamChat({ model: "echo", max_tokens: 2, stream_options: { include_usage: true } });

    expect(contentOf(received)).toBe("You said:");
    const finish = received.find(({ chunk }) => chunk.choices[0]?.finish_reason)?.chunk;
    expect(finish?.choices[0].finish_reason).toBe("length");
    expect(received.at(-1)?.chunk.usage?.completion_tokens).toBe(2);
  });

  test("a cut stream makes the SDK iteration throw after the tokens sent", async () => {
    provider.script("cut", { tokens: ["one", " two", " three"], cutAfterTokens: 2 });
    let seen: Received[] = [];
    const iteration = streamChat({ model: "cut" }, (received) => {
      seen = received;
    });

    await expect(iteration).rejects.toThrow();
    expect(contentOf(seen)).toBe("one two");
    expect(lastRequest().aborted).toBe(false);
  });

  test("a malformed chunk makes the SDK iteration throw", async () => {
    const quietClient = new OpenAI({ baseURL: provider.url, apiKey: API_KEY, maxRetries: 0, logLevel: "off" });
    provider.script("broken", { tokens: ["fine"], malformedAfterTokens: 1 });
    const stream = await quietClient.chat.completions.create({ model: "broken", messages: hello, stream: true });
    const contents: string[] = [];

    const iterate = async () => {
      for await (const chunk of stream) contents.push(chunk.choices[0]?.delta.content ?? "");
    };
    await expect(iterate()).rejects.toThrow(SyntaxError);
    expect(contents.join("")).toBe("fine");
  });

  test("a stalled stream can be aborted and the provider records the abort", async () => {
    provider.script("stall", { tokens: ["a", "b", "c"], stallAfterTokens: 1 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "stall", messages: hello, stream: true },
      { signal: controller.signal },
    );
    const contents: string[] = [];
    for await (const chunk of stream) {
      contents.push(chunk.choices[0]?.delta.content ?? "");
      if (contents.join("") === "a") setTimeout(() => controller.abort(), 20);
    }

    expect(contents.join("")).toBe("a");
    await waitFor(() => lastRequest().aborted);
  });

  test("hangBeforeFirstToken sends the role chunk and never a token", async () => {
    provider.script("hang", { hangBeforeFirstToken: true });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "hang", messages: hello, stream: true },
      { signal: controller.signal },
    );
    const deltas: unknown[] = [];
    setTimeout(() => controller.abort(), 80);
    // The SDK ends the iteration quietly when the caller aborts.
    for await (const chunk of stream) deltas.push(chunk.choices[0].delta);

    expect(deltas).toEqual([{ role: "assistant", content: "", refusal: null }]);
    await waitFor(() => lastRequest().aborted);
  });
});

describe("chat completions, non-streaming", () => {
  test("answers a chat.completion with message and usage", async () => {
    const completion = await client.chat.completions.create({ model: "echo", messages: hello });

    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0].message).toMatchObject({ role: "assistant", content: "You said: hello there world" });
    expect(completion.choices[0].finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
  });

  test("delays the answer by the token delays", async () => {
    provider.script("slow", { tokens: ["a", "b", "c"], firstTokenDelayMs: 40, delayMsPerToken: 20 });
    const started = performance.now();
    const completion = await client.chat.completions.create({ model: "slow", messages: hello });

    expect(completion.choices[0].message.content).toBe("abc");
    expect(performance.now() - started).toBeGreaterThanOrEqual(70);
  });

  test("truncates to max_completion_tokens and omits usage when disabled", async () => {
    provider.script("no-usage", { usage: false });
    const completion = await client.chat.completions.create({
      model: "no-usage",
      messages: hello,
      max_completion_tokens: 3,
    });

    expect(completion.choices[0]).toMatchObject({ message: { content: "You said: hello" }, finish_reason: "length" });
    expect(completion.usage).toBeUndefined();
  });

  test("a cut response and a malformed body make the SDK call fail", async () => {
    const quietClient = new OpenAI({ baseURL: provider.url, apiKey: API_KEY, maxRetries: 0, logLevel: "off" });
    provider.scriptNext({ cutAfterTokens: 0 });
    provider.scriptNext({ malformedAfterTokens: 0 });

    expect(await rejectionOf(quietClient.chat.completions.create({ model: "echo", messages: hello }))).toBeInstanceOf(
      APIConnectionError,
    );
    expect(await rejectionOf(quietClient.chat.completions.create({ model: "echo", messages: hello }))).toBeInstanceOf(
      SyntaxError,
    );
  });

  test("hangBeforeFirstToken never answers until the client aborts", async () => {
    provider.script("hang", { hangBeforeFirstToken: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const error = await rejectionOf(
      client.chat.completions.create({ model: "hang", messages: hello }, { signal: controller.signal }),
    );
    expect(error).toBeInstanceOf(APIUserAbortError);
    await waitFor(() => lastRequest().aborted);
  });
});

describe("errors", () => {
  test("a wrong API key gets 401", async () => {
    const wrongKey = new OpenAI({ baseURL: provider.url, apiKey: "sk-wrong", maxRetries: 0 });
    const error = await apiErrorOf(wrongKey.chat.completions.create({ model: "echo", messages: hello }));

    expect(error.status).toBe(401);
    expect(error.code).toBe("invalid_api_key");
    expect(lastRequest().headers.authorization).toBe("Bearer sk-wrong");
  });

  test("an unknown model gets 404 model_not_found", async () => {
    const error = await apiErrorOf(client.chat.completions.create({ model: "no-such-model", messages: hello }));

    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toContain("no-such-model");
  });

  test("a scripted 429 carries retry-after", async () => {
    provider.script("limited", { error: { status: 429, retryAfterSeconds: 7 } });
    const error = await apiErrorOf(client.chat.completions.create({ model: "limited", messages: hello, stream: true }));

    expect(error.status).toBe(429);
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.headers?.get("retry-after")).toBe("7");
  });

  test("a scripted 500 surfaces with OpenAI's error body", async () => {
    provider.script("broken-server", { error: { status: 500, message: "upstream exploded" } });
    const error = await apiErrorOf(client.chat.completions.create({ model: "broken-server", messages: hello }));

    expect(error.status).toBe(500);
    expect(error.type).toBe("server_error");
    expect(error.error).toEqual({ message: "upstream exploded", type: "server_error", param: null, code: null });
  });

  test("malformed requests and unknown routes get OpenAI-shaped 400 and 404", async () => {
    const post = (path: string, body: string) =>
      fetch(`${provider.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body,
      });

    const unparsable = await post("/chat/completions", "{not json");
    expect(unparsable.status).toBe(400);
    expect(((await unparsable.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    expect((await post("/chat/completions", JSON.stringify({ model: "echo" }))).status).toBe(400);
    expect((await post("/audio/speech", JSON.stringify({ model: "tts-1", voice: "alloy" }))).status).toBe(400);
    expect((await post("/embeddings", "{}")).status).toBe(404);
  });
});

describe("scripting", () => {
  test("scriptNext applies to the next requests in order, whatever the model", async () => {
    provider.scriptNext({ text: "first override" });
    provider.scriptNext({ error: { status: 500 } });

    expect(contentOf(await streamChat({ model: "no-such-model" }))).toBe("first override");
    expect((await apiErrorOf(client.chat.completions.create({ model: "echo", messages: hello }))).status).toBe(500);
    expect(contentOf(await streamChat({ model: "echo" }))).toBe("You said: hello there world");
  });

  test("models list holds the default and scripted models", async () => {
    provider.script("custom-model", {});
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);

    expect(ids).toEqual(["echo", "whisper-1", "tts-1", "custom-model"]);
    expect(lastRequest()).toMatchObject({ method: "GET", path: "/v1/models" });
  });
});

describe("audio", () => {
  const clip = () => new File([new Uint8Array([1, 2, 3, 4])], "clip.webm", { type: "audio/webm" });

  test("transcription answers the default or scripted text and records the form", async () => {
    const transcription = await client.audio.transcriptions.create({ file: clip(), model: "whisper-1" });
    expect(transcription.text).toBe(DEFAULT_TRANSCRIPT);
    expect(lastRequest().form).toMatchObject({
      model: "whisper-1",
      file: { name: "clip.webm", type: expect.any(String), size: 4 },
    });

    provider.script("whisper-1", { text: "scripted words" });
    expect((await client.audio.transcriptions.create({ file: clip(), model: "whisper-1" })).text).toBe(
      "scripted words",
    );
    const plain = await client.audio.transcriptions.create({
      file: clip(),
      model: "whisper-1",
      response_format: "text",
    });
    expect(plain).toBe("scripted words");
  });

  test("transcription errors are scriptable", async () => {
    provider.scriptNext({ error: { status: 500 } });
    const error = await apiErrorOf(client.audio.transcriptions.create({ file: clip(), model: "whisper-1" }));
    expect(error.status).toBe(500);
  });

  test("speech returns MP3 bytes", async () => {
    const response = await client.audio.speech.create({ model: "tts-1", input: "Hello", voice: "alloy" });
    const bytes = new Uint8Array(await response.arrayBuffer());

    expect(response.headers.get("content-type")).toBe("audio/mpeg");
    expect(new TextDecoder().decode(bytes.slice(0, 3))).toBe("ID3");
    expect(lastRequest().body).toMatchObject({ model: "tts-1", input: "Hello", voice: "alloy" });
  });
});

describe("embeddings", () => {
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((sum, x, i) => sum + x * b[i]!, 0);

  test("one deterministic, normalised vector per input, in order; texts sharing words are close, others apart", async () => {
    const response = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: ["My daughter is called Ada", "Ada is my daughter", "The car is parked on level 3"],
      encoding_format: "float",
    });
    const [a, b, c] = response.data.map((d) => d.embedding);
    expect(response.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(a).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(a).toEqual(bagOfWordsVector("My daughter is called Ada"));
    expect(dot(a!, a!)).toBeCloseTo(1, 6);
    expect(dot(a!, b!)).toBeGreaterThan(0.5);
    expect(dot(a!, c!)).toBeLessThan(0.2);
    expect(response.usage.prompt_tokens).toBe(5 + 4 + 7);
  });

  test("the SDK's default base64 encoding decodes to the same vector", async () => {
    const response = await client.embeddings.create({ model: "text-embedding-3-small", input: "level 3" });
    const expected = bagOfWordsVector("level 3");
    for (const [i, x] of Array.from(response.data[0]!.embedding).entries()) expect(x).toBeCloseTo(expected[i]!, 6);
  });

  test("a scripted vector; unknown models and chat-only providers answer 404; queued chat behaviours are not consumed", async () => {
    provider.script("custom-embed", { embed: (text) => [text.length, 0] });
    provider.scriptNext({ text: "queued for chat" });
    const custom = await client.embeddings.create({ model: "custom-embed", input: "four", encoding_format: "float" });
    expect(custom.data[0]!.embedding).toEqual([4, 0]);
    const unknown = await rejectionOf(client.embeddings.create({ model: "echo", input: "x", encoding_format: "float" }));
    expect((unknown as APIError).status).toBe(404);
    const chat = await client.chat.completions.create({ model: "echo", messages: hello });
    expect(chat.choices[0]!.message.content).toBe("queued for chat");

    const chatOnly = await startFakeProvider({ embeddings: false });
    try {
      const sdk = new OpenAI({ baseURL: chatOnly.url, apiKey: "unused", maxRetries: 0 });
      const refused = await rejectionOf(sdk.embeddings.create({ model: "text-embedding-3-small", input: "x", encoding_format: "float" }));
      expect((refused as APIError).status).toBe(404);
    } finally {
      await chatOnly.stop();
    }
  });
});

test("textFor picks the chat reply from the request", async () => {
  provider.script("picky", { textFor: (request) => (request.messages?.[0]?.role === "system" ? "told so" : undefined), text: "plain" });
  const told = await client.chat.completions.create({ model: "picky", messages: [{ role: "system", content: "x" }, ...hello] });
  const plain = await client.chat.completions.create({ model: "picky", messages: hello });
  expect([told.choices[0]!.message.content, plain.choices[0]!.message.content]).toEqual(["told so", "plain"]);
});
