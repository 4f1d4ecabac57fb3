/**
 * `bun run bench:glasses`: what the glasses route itself adds to a request, through a real
 * server process over HTTP (tests/support/server-process.ts). The Noa app's fixture request
 * (WAV + JPEG + messages='[]') goes to the server; speech-to-text is the OpenAI-compatible
 * backend (STT_BACKEND=openai) and the model is answered by the test provider, which
 * answers both instantly from this process.
 *
 * Two users send the same requests: one with memory off (the default), one with memory on
 * and 50 memories (embedded; a few match the request), so every request of theirs includes
 * recall (the state query, full-text search, an embeddings call to the provider, cosine)
 * and queues extraction, which runs in the background of the server while their next
 * requests are measured. The users take turns in blocks of 100 requests, so that load on
 * the machine falls on both alike; between blocks the bench waits for the provider to go
 * quiet (extraction done).
 *
 * Baseline, measured in the same run and paired with every route request: the same speech
 * and chat calls sent straight to the provider with the `openai` SDK (the WAV as the Noa
 * app sends it, then the chat completion with the image). Overhead = route − baseline.
 * Targets (issues 4, 12 and 13): overhead p50 < 5 ms, p99 < 20 ms, memory on or off.
 * On SQLite, and on PostgreSQL when TEST_POSTGRES_URL (or BENCH_POSTGRES_URL) names a server.
 * Usage: bun bench/glasses.ts [requests per user, default 1000]. Writes bench/results/glasses.json.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { createAccessToken } from "../server/src/accounts/index.ts";
import { createSecretBox } from "../server/src/crypto/secret-box.ts";
import { openDatabase } from "../server/src/db/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { parseConfig } from "../server/src/env.ts";
import { EXTRACTION_INSTRUCTION } from "../server/src/memory/index.ts";
import { createModel } from "../server/src/models/service.ts";
import { type ChatRequest, DEFAULT_TRANSCRIPT, startFakeProvider } from "../tests/support/fake-provider.ts";
import { fixture, noaAppForm } from "../tests/support/fixtures.ts";
import { startServerProcess } from "../tests/support/server-process.ts";
import { benchDatabase, benchProviders, writeResults } from "./support/common.ts";

const REQUESTS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
const WARMUP = 50;
const BLOCK = 100;

const audio = await fixture("noa-app-request-audio.wav");
const image = await fixture("noa-app-request-image.jpg");

const provider = await startFakeProvider();
// Extraction requests find nothing worth remembering (the common case); answers echo.
const extraction = (request: ChatRequest) => (request.messages?.[0]?.content === EXTRACTION_INSTRUCTION ? '{"operations": []}' : undefined);
provider.script("echo-memory", { textFor: extraction });
const sdk = new OpenAI({ baseURL: provider.url, apiKey: "unused", maxRetries: 0 });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: +percentile(sorted, 50).toFixed(2), p99: +percentile(sorted, 99).toFixed(2), max: +sorted.at(-1)!.toFixed(2) };
};

/** Resolves once the provider has had no request for `quietMs` (the server's background extraction is done). */
async function providerQuiet(quietMs = 150) {
  let seen = provider.requests.length;
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    await Bun.sleep(20);
    if (provider.requests.length !== seen) {
      seen = provider.requests.length;
      since = performance.now();
    }
  }
}

async function measure(databaseProvider: "sqlite" | "postgresql") {
const dir = mkdtempSync(join(tmpdir(), "aiui-bench-glasses-"));
const benchDb = await benchDatabase(databaseProvider, dir);
// The fake provider listens on loopback.
const config = parseConfig({ NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: benchDb.url, PROVIDER_ALLOW_PRIVATE_NETWORKS: "true" });
const database = await openDatabase(config.database.url, config.database.provider);
await applyMigrations(database.db, database.provider);
const key = randomBytes(32);

async function benchUser(email: string, memory: boolean): Promise<string> {
  const user = await database.db.user.create({ data: { email, passwordHash: "-", displayName: "Bench", memoryEnabled: memory } });
  await createModel(database.db, createSecretBox(key), user.id, { name: "Echo", providerModelId: "echo-memory", baseUrl: provider.url, supportsImages: true }, config.providerNetwork);
  if (memory) {
    const facts = [
      "The user is planning a trip to France in May.",
      "The user's daughter is studying the capitals of Europe.",
      "The user prefers short answers.",
      ...Array.from({ length: 47 }, (_, i) => `The user noted fact number ${i}: item ${i} is kept in box ${i % 7} on shelf ${i % 5}.`),
    ];
    await database.db.memory.createMany({ data: facts.map((text) => ({ userId: user.id, text })) });
  }
  return (await createAccessToken(database.db, user.id, { name: "bench", scopes: ["glasses"] })).secret;
}
const memoryOff = await benchUser("off@example.com", false);
const memoryOn = await benchUser("on@example.com", true);
const serverFlags = process.env.BENCH_SERVER_FLAGS?.split(" ").filter(Boolean);
const server = await startServerProcess(
  {
    NODE_ENV: "production",
    DATA_DIR: dir,
    DATABASE_URL: benchDb.url,
    ENCRYPTION_KEY: key.toString("base64"),
    STT_BACKEND: "openai",
    STT_OPENAI_BASE_URL: provider.url,
    STT_OPENAI_API_KEY: "sk-bench",
    // Requests come from one address, far more often than a person would send them.
    TOKEN_MAX_FAILURES: "1000000",
  },
  30_000,
  serverFlags,
);
const routeUrl = `${server.base}/mm/mm/`;

async function routeOnce(secret: string): Promise<number> {
  const body = noaAppForm(audio, image);
  const started = performance.now();
  const response = await fetch(routeUrl, { method: "POST", headers: { Authorization: `Bearer ${secret}` }, body });
  const answer = (await response.json()) as { message?: string };
  const ms = performance.now() - started;
  if (response.status !== 200 || !answer.message) throw new Error(`route answered ${response.status}: ${JSON.stringify(answer)}`);
  return ms;
}

async function providerOnce(): Promise<number> {
  const started = performance.now();
  await sdk.audio.transcriptions.create({ file: new File([audio], "audio.wav", { type: "audio/wav" }), model: "whisper-1" });
  await sdk.chat.completions.create({
    model: "echo",
    messages: [
      { role: "system", content: "You are Noa." },
      {
        role: "user",
        content: [
          { type: "text", text: DEFAULT_TRANSCRIPT },
          { type: "image_url", image_url: { url: `data:image/jpeg;base64,${Buffer.from(image).toString("base64")}` } },
        ],
      },
    ],
  });
  return performance.now() - started;
}

for (let i = 0; i < WARMUP; i++) {
  await routeOnce(memoryOff);
  await routeOnce(memoryOn);
  await providerOnce();
}
// The warm-up's recalls embedded the memories in the background.
await providerQuiet();
const embedded = await database.db.memory.count({ where: { embedding: { not: null } } });
const requestsBefore = provider.requests.length;

const off: number[] = [];
const on: number[] = [];
const baseline: number[] = [];
const overheadOff: number[] = [];
const overheadOn: number[] = [];
async function block(secret: string, routeTimes: number[], overheads: number[], count: number) {
  for (let i = 0; i < count; i++) {
    const route = await routeOnce(secret);
    const provider = await providerOnce();
    routeTimes.push(route);
    baseline.push(provider);
    overheads.push(route - provider);
  }
  // Extraction still queued finishes before the other user's turn.
  await providerQuiet();
}
for (let done = 0; done < REQUESTS; done += BLOCK) {
  const count = Math.min(BLOCK, REQUESTS - done);
  await block(memoryOff, off, overheadOff, count);
  await block(memoryOn, on, overheadOn, count);
}
const during = provider.requests.slice(requestsBefore);

const isExtraction = (r: (typeof during)[number]) => (r.body as ChatRequest | undefined)?.messages?.[0]?.content === EXTRACTION_INSTRUCTION;

const result = {
  database: databaseProvider,
  requests: REQUESTS,
  serverRssMiB: server.rssMiB(),
  machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version, loadAverage: (await import("node:os")).loadavg().map((x) => +x.toFixed(2)) },
  routeMemoryOffMs: summary(off),
  routeMemoryOnMs: summary(on),
  providerBaselineMs: summary(baseline),
  overheadMemoryOffMs: summary(overheadOff),
  overheadMemoryOnMs: summary(overheadOn),
  memory: {
    memories: 50,
    embedded,
    extractionCalls: during.filter(isExtraction).length,
    embeddingCalls: during.filter((r) => r.path === "/v1/embeddings").length,
  },
  targets: {
    memoryOffP50Below5ms: summary(overheadOff).p50 < 5,
    memoryOffP99Below20ms: summary(overheadOff).p99 < 20,
    memoryOnP50Below5ms: summary(overheadOn).p50 < 5,
    memoryOnP99Below20ms: summary(overheadOn).p99 < 20,
  },
};
console.log(`glasses route on ${databaseProvider}, ${REQUESTS} sequential requests per user, in turns of ${BLOCK} (fixture WAV + JPEG, messages='[]'), real server process, instant provider and speech`);
console.table({
  "route, memory off": result.routeMemoryOffMs,
  "route, memory on": result.routeMemoryOnMs,
  "provider (baseline)": result.providerBaselineMs,
  "overhead, memory off": result.overheadMemoryOffMs,
  "overhead, memory on": result.overheadMemoryOnMs,
});
console.log(
  `memory on: ${result.memory.memories} memories (${embedded} embedded); during the run ${result.memory.embeddingCalls} embeddings calls, ` +
    `${result.memory.extractionCalls} extraction calls (background) for ${REQUESTS} requests`,
);
for (const [name, met] of Object.entries(result.targets)) console.log(`${name}: ${met ? "met" : "MISSED"}`);
await server.stop();
await database.close();
await benchDb.drop();
rmSync(dir, { recursive: true, force: true });
return result;
}

const results: Record<string, unknown> = {};
for (const databaseProvider of benchProviders()) results[databaseProvider] = await measure(databaseProvider);
writeResults("glasses", { requestsPerUser: REQUESTS, results });
await provider.stop();
