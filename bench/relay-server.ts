/**
 * The floor of the streaming benchmarks (started by bench/api.ts and bench/stream.ts, not by
 * hand): the cheapest relay of a streamed reply on AIUI's stack, so a run shows what Bun +
 * the `openai` SDK alone cost per relayed token on this machine, next to what AIUI costs.
 * No database, no auth, no GraphQL, no Elysia: a plain `Bun.serve` that, per request, asks
 * the provider (PROVIDER_URL) with the official `openai` SDK (stream: true, one client for
 * the process, as AIUI caches one per model) and writes each content delta out as it arrives.
 * It reads the stream with AIUI's reader (decision 0024); RELAY_READER=sdk reads it with the
 * SDK's own iterators instead (~15 µs more CPU per token), as AIUI did before.
 *
 *   POST /v1/chat/completions   the request's model and messages; answers OpenAI
 *                               `chat.completion.chunk` SSE lines ending with `data: [DONE]`,
 *                               so the `openai` SDK reads it as it reads AIUI's /v1.
 *   POST /reply-stream          {model, content}: one request that starts the provider call and
 *                               streams it as graphql-sse "distinct connections" events
 *                               (`next` with data.replyStream {offset delta done status},
 *                               then `complete`), read like AIUI's replyStream subscription.
 *
 * Reports over IPC, like bench/stream-server.ts: {port} once listening, then {stats}
 * whenever asked ("stats", which also resets them): CPU time (user + system, ms), peak RSS,
 * content deltas relayed, and event-loop stalls when BENCH_LOOP_LAG is set.
 */
import OpenAI from "openai";
import { chatCompletionChunks } from "../server/src/generation/provider-stream.ts";
import { watchLoopLag } from "./support/loop-lag.ts";
import { readPeakRss, resetPeakRss } from "./support/peak-rss.ts";

const providerUrl = process.env.PROVIDER_URL;
if (!providerUrl) throw new Error("PROVIDER_URL names the provider to relay");
const provider = new OpenAI({ baseURL: providerUrl, apiKey: "sk-bench", maxRetries: 0, logLevel: "off", organization: null, project: null, webhookSecret: null });

/**
 * The provider's chunks, read as AIUI reads them (generation/provider-stream.ts, decision
 * 0024) unless RELAY_READER=sdk: then with the SDK's own iterators (~15 µs more CPU a token).
 */
async function providerStream(model: string, messages: Message[]): Promise<AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>> {
  const request = provider.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
  return process.env.RELAY_READER === "sdk" ? await request : chatCompletionChunks(await request.asResponse());
}

const encoder = new TextEncoder();
let deltasRelayed = 0;

type Message = { role: "user" | "system" | "assistant"; content: string };

/** The provider's stream of content deltas as response-body bytes, each written once it arrives; `end` closes the body. */
function relayed(
  chunks: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>,
  frame: (delta: string, chunk: OpenAI.Chat.Completions.ChatCompletionChunk) => string | null,
  end: () => string,
): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    // Each pull enqueues something or closes: a pull that returns empty-handed is not called again.
    async pull(controller) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          controller.enqueue(encoder.encode(end()));
          controller.close();
          return;
        }
        const delta = next.value.choices[0]?.delta?.content ?? "";
        if (delta) deltasRelayed++;
        const text = frame(delta, next.value);
        if (text) {
          controller.enqueue(encoder.encode(text));
          return;
        }
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" };

async function chatCompletions(request: Request): Promise<Response> {
  const asked = (await request.json()) as { model: string; messages: Message[]; stream_options?: { include_usage?: boolean } };
  const includeUsage = asked.stream_options?.include_usage === true;
  const stream = await providerStream(asked.model, asked.messages);
  const id = `chatcmpl-relay-${crypto.randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const line = (body: object) => `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: asked.model, ...body })}\n\n`;
  let roleSent = false;
  const body = relayed(
    stream,
    (delta, chunk) => {
      const choice = chunk.choices[0];
      let text = "";
      if (!roleSent) {
        roleSent = true;
        text += line({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
      }
      if (delta) text += line({ choices: [{ index: 0, delta: { content: delta }, finish_reason: null }] });
      if (choice?.finish_reason) text += line({ choices: [{ index: 0, delta: {}, finish_reason: choice.finish_reason }] });
      if (chunk.usage && includeUsage) text += line({ choices: [], usage: chunk.usage });
      return text || null;
    },
    () => "data: [DONE]\n\n",
  );
  return new Response(body, { headers: SSE_HEADERS });
}

async function replyStream(request: Request): Promise<Response> {
  const { model, content } = (await request.json()) as { model: string; content: string };
  const stream = await providerStream(model, [{ role: "user", content }]);
  let offset = 0;
  const event = (delta: string, done: boolean, status: string) => `event: next\ndata: ${JSON.stringify({ data: { replyStream: { offset, delta, done, status } } })}\n\n`;
  const body = relayed(
    stream,
    (delta) => {
      if (!delta) return null;
      const text = event(delta, false, "STREAMING");
      offset += delta.length;
      return text;
    },
    () => `${event("", true, "COMPLETE")}event: complete\ndata:\n\n`,
  );
  return new Response(body, { headers: SSE_HEADERS });
}


let cpuSince = process.cpuUsage();
const loopLag = process.env.BENCH_LOOP_LAG ? watchLoopLag() : null;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  // A 4 s reply at 200 streams can wait on a busy machine: no idle cut-off.
  idleTimeout: 0,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (request.method === "POST" && path === "/v1/chat/completions") return chatCompletions(request);
    if (request.method === "POST" && path === "/reply-stream") return replyStream(request);
    return new Response("not found", { status: 404 });
  },
});

process.send?.({ port: server.port });
process.on("message", async (message) => {
  if (message === "stats") {
    const cpu = process.cpuUsage(cpuSince);
    cpuSince = process.cpuUsage();
    process.send?.({ stats: { cpuMs: (cpu.user + cpu.system) / 1000, peakRss: readPeakRss(), deltasRelayed, loopLag: loopLag?.read() } });
    deltasRelayed = 0;
    resetPeakRss();
  } else if (message === "stop") {
    loopLag?.stop();
    await server.stop(true);
    process.exit(0);
  }
});
