/**
 * `bun run bench:api`: what the OpenAI-compatible /v1/chat/completions adds over calling
 * the provider directly, both with the official `openai` SDK, in one run against a real
 * server process (bench/stream-server.ts: main.ts's start-up on a SQLite file, every
 * database write counted). Prints the figures and writes bench/results/api.json.
 *
 *   non-streaming   --requests pairs, one after another, alternating: a request straight
 *                   to the provider, then the same kind of request through AIUI (each a new
 *                   conversation: a new API chat, the question, the reply). Added latency =
 *                   AIUI's percentile minus the direct percentile (p50, p99), and the paired
 *                   differences' percentiles.
 *   streaming       --streams concurrent streams (100), started spread over --ramp ms (as
 *                   users' requests would come), alternating rounds direct / floor relay /
 *                   through AIUI (--rounds each). For every chunk of every stream: (arrival through AIUI −
 *                   when the provider handed that chunk to its connection) minus the median
 *                   of the same chunk's (arrival direct − sent) over the direct streams. p50
 *                   and p99 over all chunks, and over those that arrive once every stream is
 *                   running. Timed from the chunk's sending, not from the request's receipt
 *                   plus the provider's schedule: the provider's pacing timers run late under
 *                   load, and that drift is the provider's (the receipt-based figure, drift
 *                   included, is printed beside it). The server's CPU: cores while the rounds
 *                   ran, and ms per chunk relayed.
 *   floor relay     the same rows for bench/relay-server.ts, a plain Bun.serve relaying the
 *                   provider with the `openai` SDK and nothing else (no database, auth or
 *                   router): what Bun + the openai SDK alone cost per relayed chunk on this
 *                   machine, measured in the same rounds, so AIUI's figures read against what
 *                   the stack itself allows (results key `floorRelay`; the targets stay
 *                   AIUI's). --relay=off leaves the arm out (a third fewer streaming rounds).
 *   DB writes       per streamed reply through /v1, by kind (checkpoints, the final write of
 *                   the reply, and the others: the chat, question, reply, the chat's lock and
 *                   leaf, the usage row, the thread key),
 *                   and checkpoints per second while streaming (web replies' rule: ≤ 1/s).
 *
 * BENCH_SERVER_FLAGS="--cpu-prof-md --cpu-prof-dir=DIR" profiles the server.
 *
 * Options: --requests=300 --streams=100 --rounds=2 --tokens=100 --pace=20 --checkpoint=1000 --ramp=1000 --relay=on
 *          --only=nonstreaming (the non-streaming pairs alone: prints them, writes no results file)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import OpenAI from "openai";
import { CSRF_HEADER } from "../server/src/graphql/yoga.ts";
import { type RecordedRequest, startFakeProvider } from "../tests/support/fake-provider.ts";
import { startBenchProcess } from "./support/bench-process.ts";
import { arg, median, percentile, round } from "./support/common.ts";
import { type Relay, startRelay } from "./support/relay.ts";

const REQUESTS = Number(arg("requests", "300"));
const STREAMS = Number(arg("streams", "100"));
const ROUNDS = Number(arg("rounds", "2"));
const TOKENS = Number(arg("tokens", "100"));
const PACE_MS = Number(arg("pace", "20"));
const CHECKPOINT_MS = Number(arg("checkpoint", "1000"));
const RAMP_MS = Number(arg("ramp", "1000"));
const ONLY = arg("only", "");
const WITH_RELAY = arg("relay", "on") !== "off";
/** Waits until stream k of n is due: starts are spread evenly over RAMP_MS. */
const startOf = (k: number, n: number) => Bun.sleep(n > 1 ? (RAMP_MS * k) / (n - 1) : 0);
const STREAM_MODEL = "bench-stream";
const QUICK_MODEL = "bench-quick";
const root = resolve(import.meta.dir, "..");


// ---------------------------------------------------------------------------------------------
// The provider, in this process: the receipt time of every request on this clock

const provider = await startFakeProvider();
const streamText = Array.from({ length: TOKENS }, (_, i) => `t${i}`).join(" ");
provider.script(STREAM_MODEL, { text: streamText, delayMsPerToken: PACE_MS, firstTokenDelayMs: PACE_MS });
provider.script(QUICK_MODEL, { text: "Paris is the capital of France." });
// The body is parsed after a request is recorded: keep the records with their time, read the markers later.
const received: { record: RecordedRequest; at: number }[] = [];
const push = provider.requests.push.bind(provider.requests);
provider.requests.push = (...records: RecordedRequest[]) => {
  const now = performance.now();
  for (const record of records) received.push({ record, at: now });
  return push();
};
/** When the provider sent each content chunk of the request whose last message carries `marker`. */
function chunksSentOf(marker: string): number[] {
  for (const { record } of received) {
    const content = (record.body as { messages?: { content?: unknown }[] } | undefined)?.messages?.at(-1)?.content;
    if (typeof content === "string" && content.includes(marker)) return record.tokenSentAt ?? [];
  }
  throw new Error(`no provider request carries ${marker}`);
}
/** The receipt time of the request whose last message carries `marker`. */
function receiptOf(marker: string): number {
  for (const { record, at } of received) {
    const content = (record.body as { messages?: { content?: unknown }[] } | undefined)?.messages?.at(-1)?.content;
    if (typeof content === "string" && content.includes(marker)) return at;
  }
  throw new Error(`no provider request carries ${marker}`);
}

// ---------------------------------------------------------------------------------------------
// The server process

const workDir = mkdtempSync(join(tmpdir(), "aiui-bench-api-"));
type Stats = { setup: number; checkpoint: number; final: number; reads: number; peakRss: number; cpuMs: number; queryTime: Record<string, { count: number; ms: number }> };
const printQueryTimes = (stats: Stats, per: number) => {
  if (!process.env.BENCH_QUERY_TIMES) return;
  for (const [key, { count, ms }] of Object.entries(stats.queryTime).sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
    console.log(`    ${key.padEnd(32)} ${(count / per).toFixed(2).padStart(6)} per request  ${(ms / count).toFixed(2).padStart(8)} ms avg`);
  }
};
const server = await startBenchProcess<Stats>("bench/stream-server.ts", {
  DATA_DIR: workDir,
  DATABASE_URL: `file:${join(workDir, "bench.db")}`,
  STREAM_CHECKPOINT_MS: String(CHECKPOINT_MS),
  // The fake provider listens on loopback.
  PROVIDER_ALLOW_PRIVATE_NETWORKS: "true",
});
const stats = () => server.stats();
const base = server.base;

let cookie = "";
async function graphql(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", [CSRF_HEADER]: "1", cookie },
    body: JSON.stringify({ query, variables }),
  });
  const setCookie = response.headers.getSetCookie()[0];
  if (setCookie) cookie = setCookie.split(";")[0]!;
  const result = (await response.json()) as { data?: any; errors?: unknown[] };
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

await graphql(`mutation { signUp(input: { email: "bench@example.com", password: "benchmark password" }) { id } }`);
for (const [name, id] of [
  ["Stream", STREAM_MODEL],
  ["Quick", QUICK_MODEL],
]) {
  await graphql(
    `mutation($url: String!, $m: String!, $n: String!) { createModel(input: { name: $n, providerModelId: $m, baseUrl: $url, apiKey: "sk-bench", inputCostPerMTok: 1, outputCostPerMTok: 2 }) { id } }`,
    { url: provider.url, m: id, n: name },
  );
}
const { createAccessToken } = await graphql(`mutation { createAccessToken(input: { name: "bench", scopes: [OPENAI] }) { secret } }`);

const sdkOptions = { maxRetries: 0, logLevel: "off" as const, organization: null, project: null, webhookSecret: null };
const direct = new OpenAI({ baseURL: provider.url, apiKey: "sk-bench", ...sdkOptions });
const aiui = new OpenAI({ baseURL: `${base}/v1`, apiKey: createAccessToken.secret, ...sdkOptions });

// ---------------------------------------------------------------------------------------------
// Non-streaming, alternating

async function timedCompletion(client: OpenAI, model: string, marker: string): Promise<number> {
  const started = performance.now();
  const answer = await client.chat.completions.create({ model, messages: [{ role: "user", content: `What's the capital of France? ${marker}` }] });
  const ms = performance.now() - started;
  if (!answer.choices[0]?.message.content?.startsWith("Paris")) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
  return ms;
}

console.log(
  `bench:api: ${REQUESTS} non-streaming pairs; ${STREAMS} concurrent streams (started over ${RAMP_MS} ms) × ${ROUNDS} rounds of ${TOKENS} chunks every ${PACE_MS} ms; checkpoint every ${CHECKPOINT_MS} ms`,
);
for (let i = 0; i < 30; i++) {
  await timedCompletion(direct, QUICK_MODEL, `[warm-d${i}]`);
  await timedCompletion(aiui, "Quick", `[warm-a${i}]`);
}
const directMs: number[] = [];
const aiuiMs: number[] = [];
await stats(); // resets the server's counters and CPU time
for (let i = 0; i < REQUESTS; i++) {
  directMs.push(await timedCompletion(direct, QUICK_MODEL, `[q-d${i}]`));
  aiuiMs.push(await timedCompletion(aiui, "Quick", `[q-a${i}]`));
}
const statsAfter = await stats();
printQueryTimes(statsAfter, REQUESTS);
/** Server CPU (user + system) per request through /v1: does not depend on how busy the machine is the way latency does. */
// The server reports its CPU since the previous "stats" (the one before the loop).
const serverCpuMsPerRequest = round(statsAfter.cpuMs / REQUESTS);
const paired = aiuiMs.map((ms, i) => ms - directMs[i]!);
const nonStreaming = {
  requests: REQUESTS,
  directMs: { p50: round(median(directMs)), p99: round(percentile(directMs, 99)) },
  throughAiuiMs: { p50: round(median(aiuiMs)), p99: round(percentile(aiuiMs, 99)) },
  addedMs: { p50: round(median(aiuiMs) - median(directMs)), p99: round(percentile(aiuiMs, 99) - percentile(directMs, 99)) },
  pairedDifferenceMs: { p50: round(median(paired)), p99: round(percentile(paired, 99)) },
  serverCpuMsPerRequest,
};
console.log(
  `\nnon-streaming (${REQUESTS} alternating pairs):` +
    `\n  direct          p50 ${nonStreaming.directMs.p50} ms   p99 ${nonStreaming.directMs.p99} ms` +
    `\n  through /v1     p50 ${nonStreaming.throughAiuiMs.p50} ms   p99 ${nonStreaming.throughAiuiMs.p99} ms` +
    `\n  added           p50 ${nonStreaming.addedMs.p50} ms   p99 ${nonStreaming.addedMs.p99} ms   (paired differences p50 ${nonStreaming.pairedDifferenceMs.p50}, p99 ${nonStreaming.pairedDifferenceMs.p99})` +
    `\n  server CPU      ${serverCpuMsPerRequest} ms per request`,
);

if (ONLY === "nonstreaming") {
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  console.log(`\n  targets: p50 < 3 ms ${nonStreaming.addedMs.p50 < 3 ? "met" : "NOT met"}, p99 < 10 ms ${nonStreaming.addedMs.p99 < 10 ? "met" : "NOT met"}  (load ${load})`);
  await server.stop();
  await provider.stop();
  rmSync(workDir, { recursive: true, force: true });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Streaming, alternating rounds

// The floor: the same streams through a bare relay (bench/relay-server.ts) on the same stack.
const relay: Relay | null = WITH_RELAY ? await startRelay(provider.url) : null;
const relayClient = relay ? new OpenAI({ baseURL: `${relay.base}/v1`, apiKey: "sk-bench", ...sdkOptions }) : null;

interface StreamTiming {
  /** Chunk arrivals minus when the provider sent each chunk. */
  sinceSent: number[];
  /** Chunk arrivals minus the provider's receipt of the request (its pacing's drift included). */
  sinceReceipt: number[];
  /** Chunk arrivals (performance.now()). */
  arrivals: number[];
  lifetime: number;
}

async function streams(client: OpenAI, model: string, run: string): Promise<StreamTiming[]> {
  return Promise.all(
    Array.from({ length: STREAMS }, async (_, k) => {
      const marker = `[${run}-${k}]`;
      await startOf(k, STREAMS);
      const started = performance.now();
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: `Count ${marker}` }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const arrivals: number[] = [];
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) arrivals.push(performance.now());
      }
      if (arrivals.length !== TOKENS) throw new Error(`stream ${marker}: ${arrivals.length} of ${TOKENS} chunks`);
      const receipt = receiptOf(marker);
      const sent = chunksSentOf(marker);
      if (sent.length !== TOKENS) throw new Error(`stream ${marker}: the provider sent ${sent.length} of ${TOKENS} chunks`);
      return { sinceSent: arrivals.map((t, i) => t - sent[i]!), sinceReceipt: arrivals.map((t) => t - receipt), arrivals, lifetime: performance.now() - started };
    }),
  );
}

await streams(direct, STREAM_MODEL, "warm-direct");
if (relayClient) await streams(relayClient, STREAM_MODEL, "warm-relay");
await streams(aiui, "Stream", "warm-aiui");
const directStreams: StreamTiming[] = [];
const aiuiStreams: StreamTiming[] = [];
const relayStreams: StreamTiming[] = [];
/** Server CPU time and wall time of the rounds through each server. */
const aiuiCpu = { cpuMs: 0, wallMs: 0 };
const relayCpu = { cpuMs: 0, wallMs: 0, peakRss: 0 };
let writes = { setup: 0, checkpoint: 0, final: 0, reads: 0 };
let streamingSeconds = 0;
let peakRss = 0;
for (let r = 0; r < ROUNDS; r++) {
  directStreams.push(...(await streams(direct, STREAM_MODEL, `d${r}`)));
  if (relay && relayClient) {
    await relay.stats(); // resets the relay's counters
    const relayStarted = performance.now();
    relayStreams.push(...(await streams(relayClient, STREAM_MODEL, `r${r}`)));
    relayCpu.wallMs += performance.now() - relayStarted;
    const relay_ = await relay.stats();
    relayCpu.cpuMs += relay_.cpuMs;
    relayCpu.peakRss = Math.max(relayCpu.peakRss, relay_.peakRss);
  }
  await stats(); // resets the server's counters
  const aiuiStarted = performance.now();
  const round_ = await streams(aiui, "Stream", `a${r}`);
  aiuiCpu.wallMs += performance.now() - aiuiStarted;
  const server_ = await stats();
  aiuiCpu.cpuMs += server_.cpuMs;
  aiuiStreams.push(...round_);
  received.length = 0;
  writes = { setup: writes.setup + server_.setup, checkpoint: writes.checkpoint + server_.checkpoint, final: writes.final + server_.final, reads: writes.reads + server_.reads };
  streamingSeconds += round_.reduce((sum, s) => sum + s.lifetime / 1000, 0);
  peakRss = Math.max(peakRss, server_.peakRss);
}
const baseline = Array.from({ length: TOKENS }, (_, i) => median(directStreams.map((s) => s.sinceSent[i]!)));
const receiptBaseline = Array.from({ length: TOKENS }, (_, i) => median(directStreams.map((s) => s.sinceReceipt[i]!)));
/** Added latency of every chunk of `through`'s streams over the direct baseline, of those once every stream of its round runs, and from the receipt. */
function addedLatency(through: StreamTiming[]) {
  const added = through.flatMap((s) => s.sinceSent.map((t, i) => t - baseline[i]!));
  const addedSinceReceipt = through.flatMap((s) => s.sinceReceipt.map((t, i) => t - receiptBaseline[i]!));
  // Once every stream of its round is running: chunks after the last stream's first chunk.
  const steady = Array.from({ length: ROUNDS }, (_, r) => through.slice(r * STREAMS, (r + 1) * STREAMS)).flatMap((roundStreams) => {
    const allRunning = Math.max(...roundStreams.map((s) => s.arrivals[0]!));
    return roundStreams.flatMap((s) => s.sinceSent.flatMap((t, i) => (s.arrivals[i]! > allRunning ? [t - baseline[i]!] : [])));
  });
  return {
    addedLatencyPerChunkMs: { p50: round(percentile(added, 50)), p99: round(percentile(added, 99)), max: round(Math.max(...added)) },
    addedLatencyPerChunkOnceAllRunMs: { p50: round(percentile(steady, 50)), p99: round(percentile(steady, 99)), chunks: steady.length },
    /** The same chunks timed from the provider's receipt of the request, its pacing's drift included (this bench's headline before 2026-11-30). */
    addedLatencyPerChunkSinceReceiptMs: { p50: round(percentile(addedSinceReceipt, 50)), p99: round(percentile(addedSinceReceipt, 99)) },
  };
}
/** Server CPU time over the rounds' wall time (1.0: one core busy all along), and per chunk relayed. */
const cpuOf = ({ cpuMs, wallMs }: { cpuMs: number; wallMs: number }, chunks: number) => ({ serverCpuCores: round(cpuMs / wallMs), serverCpuMsPerChunk: round(cpuMs / chunks, 3) });
const replies = aiuiStreams.length;
const streaming = {
  concurrentStreams: STREAMS,
  rounds: ROUNDS,
  chunksPerStream: TOKENS,
  rampMs: RAMP_MS,
  ...addedLatency(aiuiStreams),
  ...cpuOf(aiuiCpu, replies * TOKENS),
  /** What the direct path itself takes from a chunk's sending to its arrival (the baseline subtracted above). */
  directDeliveryMs: { p50: round(median(directStreams.flatMap((s) => s.sinceSent))), p99: round(percentile(directStreams.flatMap((s) => s.sinceSent), 99)) },
  dbWritesPerStreamedReply: {
    other: round(writes.setup / replies, 2),
    checkpoints: round(writes.checkpoint / replies, 2),
    final: round(writes.final / replies, 2),
    total: round((writes.setup + writes.checkpoint + writes.final) / replies, 2),
    reads: round(writes.reads / replies, 2),
  },
  checkpointsPerStreamPerSecond: round(writes.checkpoint / streamingSeconds, 3),
  serverPeakRssMiB: round(peakRss / 2 ** 20, 1),
};
console.log(
  `\nstreaming (${STREAMS} concurrent streams, ${ROUNDS} rounds each way):` +
    `\n  added latency per chunk   p50 ${streaming.addedLatencyPerChunkMs.p50} ms   p99 ${streaming.addedLatencyPerChunkMs.p99} ms   (max ${streaming.addedLatencyPerChunkMs.max} ms)` +
    `\n    once all streams run    p50 ${streaming.addedLatencyPerChunkOnceAllRunMs.p50} ms   p99 ${streaming.addedLatencyPerChunkOnceAllRunMs.p99} ms   (${streaming.addedLatencyPerChunkOnceAllRunMs.chunks} chunks)` +
    `\n    (from the receipt       p50 ${streaming.addedLatencyPerChunkSinceReceiptMs.p50} ms   p99 ${streaming.addedLatencyPerChunkSinceReceiptMs.p99} ms:  the provider's pacing drift included)` +
    `\n  direct delivery           p50 ${streaming.directDeliveryMs.p50} ms   p99 ${streaming.directDeliveryMs.p99} ms   (sent to read, the baseline)` +
    `\n  DB writes per reply       ${streaming.dbWritesPerStreamedReply.other} others (chat, messages, usage, thread key), ${streaming.dbWritesPerStreamedReply.checkpoints} checkpoints, ${streaming.dbWritesPerStreamedReply.final} final (${streaming.dbWritesPerStreamedReply.total} in all; ${streaming.dbWritesPerStreamedReply.reads} reads)` +
    `\n  checkpoints/stream/s      ${streaming.checkpointsPerStreamPerSecond} (web replies' rule: at most 1 per STREAM_CHECKPOINT_MS)` +
    `\n  server peak RSS           ${streaming.serverPeakRssMiB} MiB` +
    `\n  server CPU                ${streaming.serverCpuCores} cores while streaming; ${streaming.serverCpuMsPerChunk} ms per chunk`,
);
const floorRelay = relay
  ? { ...addedLatency(relayStreams), ...cpuOf(relayCpu, relayStreams.length * TOKENS), serverPeakRssMiB: round(relayCpu.peakRss / 2 ** 20, 1) }
  : null;
if (floorRelay) {
  console.log(
    `\nfloor relay (same rounds: Bun.serve + the openai SDK alone, no database, auth or router):` +
      `\n  added latency per chunk   p50 ${floorRelay.addedLatencyPerChunkMs.p50} ms   p99 ${floorRelay.addedLatencyPerChunkMs.p99} ms   (max ${floorRelay.addedLatencyPerChunkMs.max} ms)` +
      `\n    once all streams run    p50 ${floorRelay.addedLatencyPerChunkOnceAllRunMs.p50} ms   p99 ${floorRelay.addedLatencyPerChunkOnceAllRunMs.p99} ms   (${floorRelay.addedLatencyPerChunkOnceAllRunMs.chunks} chunks)` +
      `\n    (from the receipt       p50 ${floorRelay.addedLatencyPerChunkSinceReceiptMs.p50} ms   p99 ${floorRelay.addedLatencyPerChunkSinceReceiptMs.p99} ms)` +
      `\n  server peak RSS           ${floorRelay.serverPeakRssMiB} MiB` +
      `\n  server CPU                ${floorRelay.serverCpuCores} cores while streaming; ${floorRelay.serverCpuMsPerChunk} ms per chunk`,
  );
}

const targets = {
  "non-streaming added p50 < 3 ms": nonStreaming.addedMs.p50 < 3,
  "non-streaming added p99 < 10 ms": nonStreaming.addedMs.p99 < 10,
  "streamed chunk added p99 < 2 ms at 100 streams": streaming.addedLatencyPerChunkMs.p99 < 2,
  "checkpoints <= 1 per stream per second": streaming.checkpointsPerStreamPerSecond <= 1000 / CHECKPOINT_MS,
};
console.log("\ntargets:");
for (const [target, met] of Object.entries(targets)) console.log(`  ${met ? "met    " : "NOT met"}  ${target}`);

mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(
  join(root, "bench/results/api.json"),
  `${JSON.stringify(
    {
      when: new Date().toISOString(),
      machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: process.platform },
      settings: { requests: REQUESTS, streams: STREAMS, rounds: ROUNDS, tokens: TOKENS, paceMs: PACE_MS, checkpointMs: CHECKPOINT_MS, rampMs: RAMP_MS, database: "SQLite file (WAL)" },
      load: { loadAverage: (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" "), cpus: navigator.hardwareConcurrency },
      nonStreaming,
      streaming,
      floorRelay,
      targets,
    },
    null,
    2,
  )}\n`,
);
console.log("\nwritten to bench/results/api.json");

await server.stop();
await relay?.stop();
await provider.stop();
rmSync(workDir, { recursive: true, force: true });
