/**
 * `bun run bench:stream`: N concurrent replies (50, then 200) through the GraphQL SSE
 * subscription against the test provider sending tokens at a fixed pace, and, in the
 * same run, the same streams read directly from the provider with the `openai` SDK.
 * Prints the figures and writes bench/results/stream.json.
 *
 *   added latency per token   for every token of every stream: (arrival through AIUI
 *                             - when the provider handed that token to its connection)
 *                             minus the median of the same token's (arrival direct - sent)
 *                             over the direct streams. p50 and p99. Timed from the token's
 *                             sending, not from the request's receipt plus the provider's
 *                             schedule: the provider paces tokens with timers that run late
 *                             under load, and by the 200th token that drift (30-50 ms at 200
 *                             streams here) is the provider's, not AIUI's. The receipt-based
 *                             figure, drift included, is printed below it for comparison.
 *   TTFT overhead             (first token through AIUI - sendMessage sent) minus the
 *                             median (first token direct - request sent). p50 and p99.
 *   DB writes / stream / s    counted in the server by a Prisma query extension on a real
 *                             SQLite file, over each reply's life (sendMessage to its last
 *                             event): the checkpoints written while it streams, and all of
 *                             its writes (the 3 of sending, the checkpoints, the final one).
 *   peak RSS                  of the server process (the kernel's high-water mark, per phase).
 *   server CPU                the server's CPU time over the phase's wall time (cores), and
 *                             per token of the replies it relayed (ms).
 *   floor relay               the same rows (latency, TTFT, CPU) for bench/relay-server.ts,
 *                             measured between the direct and the AIUI phase of each count:
 *                             a plain Bun.serve that starts the provider call with the
 *                             `openai` SDK and streams it as replyStream SSE events in one
 *                             request; no database, auth or GraphQL. It shows what Bun + the
 *                             openai SDK alone cost per relayed token on this machine, so
 *                             AIUI's figures read against what the stack allows (results:
 *                             `floorRelay` in each row; the targets stay AIUI's).
 *                             --relay=off leaves it out (a run then takes a third less).
 *
 * The provider runs in this process, so its receipt of each request (a hook on its
 * `requests` list) and its sending of each token (`tokenSentAt`) are on the same clock as
 * the arrivals. The server runs in its
 * own process (bench/stream-server.ts), like in production.
 *
 * The N replies of a run start spread evenly over --ramp ms (default 1000), as users'
 * clicks would be, then all stream at once: with a 4 s reply every one overlaps every
 * other. --ramp=0 starts them in the same millisecond (a burst: TTFT then measures the
 * queue in front of the database more than the cost of one request).
 *
 * Options: --streams=50,200 --tokens=200 --pace=20 --first=100 --checkpoint=1000 --ramp=1000 --relay=on
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { CSRF_HEADER } from "../server/src/graphql/yoga.ts";
import { type RecordedRequest, startFakeProvider } from "../tests/support/fake-provider.ts";
import { sseEvents } from "../tests/support/streams.ts";
import { arg, benchDatabase, benchProviders, median, percentile, round, writeResults } from "./support/common.ts";
import { type LoopLag, watchLoopLag } from "./support/loop-lag.ts";
import { startBenchProcess } from "./support/bench-process.ts";
import { type Relay, startRelay } from "./support/relay.ts";

const STREAM_COUNTS = arg("streams", "50,200").split(",").map(Number);
const TOKENS = Number(arg("tokens", "200"));
const PACE_MS = Number(arg("pace", "20"));
const FIRST_TOKEN_MS = Number(arg("first", "100"));
const CHECKPOINT_MS = Number(arg("checkpoint", "1000"));
const RAMP_MS = Number(arg("ramp", "1000"));
const WITH_RELAY = arg("relay", "on") !== "off";
/** Waits until stream k of n is due: starts are spread evenly over RAMP_MS. */
const startOf = (k: number, n: number) => Bun.sleep(n > 1 ? (RAMP_MS * k) / (n - 1) : 0);
const MODEL = "bench-model";

const text = Array.from({ length: TOKENS }, (_, i) => `t${i}`).join(" ");
/** Where each token ends in the text: token i is complete once that many characters arrived. */
const tokenEnds = (() => {
  const ends: number[] = [];
  let position = 0;
  for (let i = 0; i < TOKENS; i++) {
    position += (i === 0 ? 0 : 1) + `t${i}`.length;
    ends.push(position);
  }
  return ends;
})();


// ---------------------------------------------------------------------------------------------
// The provider, with the receipt time of every request on this process's clock

const provider = await startFakeProvider();
provider.script(MODEL, { text, delayMsPerToken: PACE_MS, firstTokenDelayMs: FIRST_TOKEN_MS });
const receivedAt = new Map<RecordedRequest, number>();
const push = provider.requests.push.bind(provider.requests);
provider.requests.push = (...records: RecordedRequest[]) => {
  const now = performance.now();
  for (const record of records) receivedAt.set(record, now);
  return push(...records);
};
/**
 * The request whose last message carries `marker`, with its receipt time. Markers repeat
 * from one database's run to the next: each run starts with `receivedAt` cleared, and a
 * marker found twice is an error (an earlier run's request would time this one).
 */
function requestOf(marker: string): { receipt: number; tokenSentAt: number[] } {
  let found: { receipt: number; tokenSentAt: number[] } | null = null;
  for (const [record, at] of receivedAt) {
    const messages = (record.body as { messages?: { content?: string }[] } | undefined)?.messages;
    if (!messages?.at(-1)?.content?.includes(marker)) continue;
    if (found) throw new Error(`two provider requests carry ${marker}`);
    found = { receipt: at, tokenSentAt: record.tokenSentAt ?? [] };
  }
  if (!found) throw new Error(`no provider request carries ${marker}`);
  return found;
}

/** A stream's timings from its token arrivals. */
function timing(marker: string, arrivals: number[], started: number, openAt: number): StreamTiming {
  const { receipt, tokenSentAt } = requestOf(marker);
  if (tokenSentAt.length !== TOKENS) throw new Error(`the provider sent ${tokenSentAt.length} of ${TOKENS} tokens for ${marker}`);
  return {
    sinceSent: arrivals.map((t, i) => t - tokenSentAt[i]!),
    sinceReceipt: arrivals.map((t) => t - receipt),
    ttft: arrivals[0]! - started,
    lifetime: performance.now() - started,
    arrivals,
    openAt,
  };
}

/** Arrival time of each token, from (time, total characters so far) samples. */
function tokenArrivals(samples: { at: number; length: number }[]): number[] {
  const arrivals: number[] = [];
  let next = 0;
  for (const { at, length } of samples) {
    while (next < TOKENS && tokenEnds[next]! <= length) {
      arrivals.push(at);
      next++;
    }
  }
  if (arrivals.length !== TOKENS) throw new Error(`only ${arrivals.length} of ${TOKENS} tokens arrived`);
  return arrivals;
}

interface StreamTiming {
  /** Token arrivals minus when the provider sent each token. */
  sinceSent: number[];
  /** Token arrivals minus the provider's receipt of the request (its pacing's drift included). */
  sinceReceipt: number[];
  /** First token minus the moment the client started asking. */
  ttft: number;
  /** From asking to the end of the reply (ms). */
  lifetime: number;
  /** Token arrivals (this process's clock). */
  arrivals: number[];
  /** When the stream was open (its subscription answered; direct: the request answered). */
  openAt: number;
}

// ---------------------------------------------------------------------------------------------
// Direct: the openai SDK against the provider

async function directStreams(n: number, run: string): Promise<StreamTiming[]> {
  const client = new OpenAI({ baseURL: provider.url, apiKey: "sk-bench", maxRetries: 0, logLevel: "off", organization: null, project: null, webhookSecret: null });
  return Promise.all(
    Array.from({ length: n }, async (_, k) => {
      const marker = `[${run}-direct-${k}]`;
      await startOf(k, n);
      const started = performance.now();
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: `bench ${marker}` }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const openAt = performance.now();
      const samples: { at: number; length: number }[] = [];
      let length = 0;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) {
          length += delta.length;
          samples.push({ at: performance.now(), length });
        }
      }
      return timing(marker, tokenArrivals(samples), started, openAt);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Through AIUI: sendMessage, then the replyStream subscription over SSE

let cookie = "";
async function graphql(base: string, query: string, variables: Record<string, unknown> = {}) {
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

async function appStreams(base: string, chatIds: string[], run: string): Promise<StreamTiming[]> {
  return Promise.all(
    chatIds.map(async (chatId, k) => {
      const marker = `[${run}-app-${k}]`;
      await startOf(k, chatIds.length);
      const started = performance.now();
      const sent = await graphql(base, `mutation($c: ID!, $t: String!) { sendMessage(chatId: $c, content: $t) { reply { id } } }`, {
        c: chatId,
        t: `bench ${marker}`,
      });
      const response = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", [CSRF_HEADER]: "1", cookie },
        body: JSON.stringify({
          query: `subscription($id: ID!) { replyStream(messageId: $id) { offset delta done status } }`,
          variables: { id: sent.sendMessage.reply.id },
        }),
      });
      return readReplyStream(response, started, marker);
    }),
  );
}

/** A replyStream SSE response read to its end, timed from `started` (when the client began asking). */
async function readReplyStream(response: Response, started: number, marker: string): Promise<StreamTiming> {
  const openAt = performance.now();
  const samples: { at: number; length: number }[] = [];
  let status = "";
  for await (const { event: kind, data, at } of sseEvents(response.body!)) {
    if (kind !== "next" || !data) continue;
    const event = JSON.parse(data).data.replyStream as { offset: number; delta: string; done: boolean; status: string };
    if (event.delta) samples.push({ at, length: event.offset + event.delta.length });
    if (event.done) status = event.status;
  }
  if (status !== "COMPLETE") throw new Error(`stream ${marker} ended ${status}`);
  return timing(marker, tokenArrivals(samples), started, openAt);
}

// ---------------------------------------------------------------------------------------------
// The floor: a bare relay on the same stack (bench/relay-server.ts), one request per reply

const relay = WITH_RELAY ? await startRelay(provider.url) : null;

async function relayStreams(base: string, n: number, run: string): Promise<StreamTiming[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, k) => {
      const marker = `[${run}-relay-${k}]`;
      await startOf(k, n);
      const started = performance.now();
      const response = await fetch(`${base}/reply-stream`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ model: MODEL, content: `bench ${marker}` }),
      });
      return readReplyStream(response, started, marker);
    }),
  );
}

/** The floor's phase: n streams through the relay, with the same rows as AIUI's and the relay's CPU. */
async function relayPhase(relay: Relay, n: number, run: string, direct: StreamTiming[]) {
  await relay.stats(); // reset the relay's counters and RSS peak
  const phaseStart = performance.now();
  const relayed = await relayStreams(relay.base, n, run);
  const phaseMs = performance.now() - phaseStart;
  const server = await relay.stats();
  if (server.loopLag) console.log(`  event-loop stalls, floor relay: ${JSON.stringify(server.loopLag)}`);
  return {
    ...latencyRows(relayed, direct),
    serverPeakRssMiB: round(server.peakRss / 2 ** 20, 1),
    serverCpuCores: round(server.cpuMs / phaseMs, 2),
    serverCpuMsPerToken: round(server.cpuMs / (n * TOKENS), 3),
    wallMs: Math.round(phaseMs),
  };
}

/** Added latency per token over the direct streams (all, while streams start, once all run, from the receipt), direct delivery and TTFT overhead. */
function latencyRows(through: StreamTiming[], direct: StreamTiming[]) {
  const baseline = Array.from({ length: TOKENS }, (_, i) => median(direct.map((s) => s.sinceSent[i]!)));
  const added = through.flatMap((s) => s.sinceSent.map((t, i) => t - baseline[i]!));
  const receiptBaseline = Array.from({ length: TOKENS }, (_, i) => median(direct.map((s) => s.sinceReceipt[i]!)));
  const addedSinceReceipt = through.flatMap((s) => s.sinceReceipt.map((t, i) => t - receiptBaseline[i]!));
  // Tokens that arrived while streams were still being started (before the last one was open), and after.
  const allOpenAt = Math.max(...through.map((s) => s.openAt));
  const addedStarting = through.flatMap((s) => s.sinceSent.flatMap((t, i) => (s.arrivals[i]! <= allOpenAt ? [t - baseline[i]!] : [])));
  const addedRunning = through.flatMap((s) => s.sinceSent.flatMap((t, i) => (s.arrivals[i]! > allOpenAt ? [t - baseline[i]!] : [])));
  const ttftBaseline = median(direct.map((s) => s.ttft));
  const ttftOverhead = through.map((s) => s.ttft - ttftBaseline);
  return {
    addedLatencyPerTokenMs: { p50: round(percentile(added, 50)), p99: round(percentile(added, 99)), max: round(Math.max(...added)) },
    addedLatencyWhileStartingMs: { tokens: addedStarting.length, p50: round(percentile(addedStarting, 50)), p99: round(percentile(addedStarting, 99)) },
    addedLatencyOnceRunningMs: { tokens: addedRunning.length, p50: round(percentile(addedRunning, 50)), p99: round(percentile(addedRunning, 99)) },
    /** The same tokens timed from the provider's receipt of the request, its pacing's drift included (this bench's headline before 2026-11-30). */
    addedLatencySinceReceiptMs: { p50: round(percentile(addedSinceReceipt, 50)), p99: round(percentile(addedSinceReceipt, 99)) },
    /** What the direct path itself takes from a token's sending to its arrival (the baseline subtracted above). */
    directDeliveryMs: { p50: round(median(direct.flatMap((s) => s.sinceSent))), p99: round(percentile(direct.flatMap((s) => s.sinceSent), 99)) },
    ttftOverheadMs: { p50: round(percentile(ttftOverhead, 50)), p99: round(percentile(ttftOverhead, 99)) },
    directTtftMs: { p50: round(ttftBaseline) },
  };
}

// ---------------------------------------------------------------------------------------------
// The server process

const allResults: Record<string, Record<string, unknown>[]> = {};
for (const databaseProvider of benchProviders()) {
receivedAt.clear();
const workDir = mkdtempSync(join(tmpdir(), "aiui-bench-"));
const database = await benchDatabase(databaseProvider, workDir);
cookie = "";
type Stats = { loopLag?: LoopLag; setup: number; checkpoint: number; final: number; reads: number; peakRss: number; cpuMs: number; queryTime: Record<string, { count: number; ms: number }> };
const aiuiServer = await startBenchProcess<Stats>("bench/stream-server.ts", {
  DATA_DIR: workDir,
  DATABASE_URL: database.url,
  STREAM_CHECKPOINT_MS: String(CHECKPOINT_MS),
  // The fake provider listens on loopback.
  PROVIDER_ALLOW_PRIVATE_NETWORKS: "true",
});
const stats = () => aiuiServer.stats();
const base = aiuiServer.base;
await graphql(base, `mutation { signUp(input: { email: "bench@example.com", password: "benchmark password" }) { id } }`);
const { createModel } = await graphql(base, `mutation($url: String!, $m: String!) { createModel(input: { name: "Bench", providerModelId: $m, baseUrl: $url, apiKey: "sk-bench", inputCostPerMTok: 1, outputCostPerMTok: 2 }) { id } }`, {
  url: provider.url,
  m: MODEL,
});

const expectedMs = FIRST_TOKEN_MS + (TOKENS - 1) * PACE_MS;
console.log(
  `bench:stream on ${databaseProvider}: ${TOKENS} tokens per reply, first after ${FIRST_TOKEN_MS} ms, then one every ${PACE_MS} ms (~${expectedMs} ms a reply); starts spread over ${RAMP_MS} ms; checkpoint every ${CHECKPOINT_MS} ms`,
);

// Warm-up: JIT, connections, SQLite pages.
{
  const warm = await Promise.all(Array.from({ length: 5 }, () => graphql(base, `mutation($m: ID) { createChat(input: { modelId: $m }) { id } }`, { m: createModel.id })));
  await directStreams(5, "warm");
  if (relay) await relayStreams(relay.base, 5, "warm");
  await appStreams(base, warm.map((c) => c.createChat.id), "warm");
}

const results: Record<string, unknown>[] = [];
for (const n of STREAM_COUNTS) {
  const run = `n${n}`;
  const chats = await Promise.all(Array.from({ length: n }, () => graphql(base, `mutation($m: ID) { createChat(input: { modelId: $m }) { id } }`, { m: createModel.id })));
  const direct = await directStreams(n, run);
  const floorRelay = relay ? await relayPhase(relay, n, run, direct) : null;
  await stats(); // reset the server's counters and RSS peak
  const clientLag = process.env.BENCH_LOOP_LAG ? watchLoopLag() : null;
  const clientCpu = process.cpuUsage();
  const phaseStart = performance.now();
  const app = await appStreams(base, chats.map((c) => c.createChat.id), run);
  const phaseMs = performance.now() - phaseStart;
  const server = await stats();
  const clientCpuMs = (({ user, system }) => (user + system) / 1000)(process.cpuUsage(clientCpu));
  if (clientLag) {
    console.log(`  event-loop stalls, server: ${JSON.stringify(server.loopLag)}`);
    console.log(`  event-loop stalls, bench client (provider + readers): ${JSON.stringify(clientLag.read())}; client CPU ${round(clientCpuMs / phaseMs)} cores`);
    clientLag.stop();
  }

  // How long the replies were streaming: from sendMessage to their last event (the reply is STREAMING all along).
  const streamingSeconds = app.reduce((sum, s) => sum + s.lifetime / 1000, 0);

  const row = {
    streams: n,
    ...latencyRows(app, direct),
    dbWritesPerStreamPerSecond: {
      checkpointsWhileStreaming: round(server.checkpoint / streamingSeconds, 3),
      allWrites: round((server.setup + server.checkpoint + server.final) / streamingSeconds, 3),
    },
    dbWritesPerStream: { setup: round(server.setup / n, 2), checkpoints: round(server.checkpoint / n, 2), final: round(server.final / n, 2), reads: round(server.reads / n, 2) },
    serverPeakRssMiB: round(server.peakRss / 2 ** 20, 1),
    /** Server CPU time over the phase's wall time: 1.0 is one core busy all along. */
    serverCpuCores: round(server.cpuMs / phaseMs, 2),
    serverCpuMsPerToken: round(server.cpuMs / (n * TOKENS), 3),
    wallMs: Math.round(phaseMs),
    floorRelay,
  };
  results.push(row);
  if (process.env.BENCH_QUERY_TIMES) {
    const slowest = Object.entries(server.queryTime).sort((a, b) => b[1].ms - a[1].ms).slice(0, 12);
    for (const [key, { count, ms }] of slowest) console.log(`    ${key.padEnd(32)} ${String(count).padStart(6)} calls  ${(ms / count).toFixed(2).padStart(8)} ms avg`);
  }
  console.log(
    `\n${n} concurrent streams (${Math.round(phaseMs)} ms):` +
      `\n  added latency per token   p50 ${row.addedLatencyPerTokenMs.p50} ms   p99 ${row.addedLatencyPerTokenMs.p99} ms   (max ${row.addedLatencyPerTokenMs.max} ms)` +
      `\n    while streams start     p50 ${row.addedLatencyWhileStartingMs.p50} ms   p99 ${row.addedLatencyWhileStartingMs.p99} ms   (${row.addedLatencyWhileStartingMs.tokens} tokens)` +
      `\n    once all are running    p50 ${row.addedLatencyOnceRunningMs.p50} ms   p99 ${row.addedLatencyOnceRunningMs.p99} ms   (${row.addedLatencyOnceRunningMs.tokens} tokens)` +
      `\n    (from the receipt       p50 ${row.addedLatencySinceReceiptMs.p50} ms   p99 ${row.addedLatencySinceReceiptMs.p99} ms:  the provider's pacing drift included)` +
      `\n  direct delivery           p50 ${row.directDeliveryMs.p50} ms   p99 ${row.directDeliveryMs.p99} ms   (sent to read, the baseline)` +
      `\n  TTFT overhead             p50 ${row.ttftOverheadMs.p50} ms   p99 ${row.ttftOverheadMs.p99} ms   (direct TTFT p50 ${row.directTtftMs.p50} ms)` +
      `\n  DB writes/stream/s        ${row.dbWritesPerStreamPerSecond.checkpointsWhileStreaming} checkpoints while streaming; ${row.dbWritesPerStreamPerSecond.allWrites} counting all writes` +
      `\n  DB writes per stream      ${row.dbWritesPerStream.setup} on send, ${row.dbWritesPerStream.checkpoints} checkpoints, ${row.dbWritesPerStream.final} final; ${row.dbWritesPerStream.reads} reads` +
      `\n  server peak RSS           ${row.serverPeakRssMiB} MiB;  server CPU ${row.serverCpuCores} cores on average` +
      `\n  server CPU per token      ${row.serverCpuMsPerToken} ms`,
  );
  if (floorRelay) {
    console.log(
      `  floor relay (same run: Bun.serve + the openai SDK alone, no database, auth or GraphQL; ${floorRelay.wallMs} ms):` +
        `\n    added latency per token p50 ${floorRelay.addedLatencyPerTokenMs.p50} ms   p99 ${floorRelay.addedLatencyPerTokenMs.p99} ms   (max ${floorRelay.addedLatencyPerTokenMs.max} ms)` +
        `\n      while streams start   p50 ${floorRelay.addedLatencyWhileStartingMs.p50} ms   p99 ${floorRelay.addedLatencyWhileStartingMs.p99} ms   (${floorRelay.addedLatencyWhileStartingMs.tokens} tokens)` +
        `\n      once all are running  p50 ${floorRelay.addedLatencyOnceRunningMs.p50} ms   p99 ${floorRelay.addedLatencyOnceRunningMs.p99} ms   (${floorRelay.addedLatencyOnceRunningMs.tokens} tokens)` +
        `\n      (from the receipt     p50 ${floorRelay.addedLatencySinceReceiptMs.p50} ms   p99 ${floorRelay.addedLatencySinceReceiptMs.p99} ms)` +
        `\n    TTFT overhead           p50 ${floorRelay.ttftOverheadMs.p50} ms   p99 ${floorRelay.ttftOverheadMs.p99} ms` +
        `\n    server peak RSS         ${floorRelay.serverPeakRssMiB} MiB;  server CPU ${floorRelay.serverCpuCores} cores on average; ${floorRelay.serverCpuMsPerToken} ms per token`,
    );
  }
}
await aiuiServer.stop();
await database.drop();
rmSync(workDir, { recursive: true, force: true });
allResults[databaseProvider] = results;
}

const targets: Record<string, boolean> = {};
for (const [databaseProvider, results] of Object.entries(allResults)) {
  const at200 = results.find((r) => r.streams === 200) as any;
  if (!at200) continue;
  targets[`${databaseProvider}: added latency p99 < 20 ms at 200 streams, start phase included`] = at200.addedLatencyPerTokenMs.p99 < 20;
  targets[`${databaseProvider}: added latency p99 < 5 ms once all 200 run`] = at200.addedLatencyOnceRunningMs.p99 < 5;
  targets[`${databaseProvider}: <= 1 DB write per stream per second while streaming`] = results.every((r: any) => r.dbWritesPerStreamPerSecond.checkpointsWhileStreaming <= 1);
}
console.log("\ntargets:");
for (const [target, met] of Object.entries(targets)) console.log(`  ${met ? "met    " : "NOT met"}  ${target}`);

writeResults("stream", {
  settings: { tokens: TOKENS, paceMs: PACE_MS, firstTokenMs: FIRST_TOKEN_MS, checkpointMs: CHECKPOINT_MS, rampMs: RAMP_MS },
  results: allResults,
  targets,
});
await relay?.stop();
await provider.stop();
