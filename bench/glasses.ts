/**
 * `bun run bench:glasses`: what the glasses route itself adds to a request, without
 * speech or model time. The Noa app's fixture request (WAV + JPEG + history) goes to a
 * real listening server on SQLite; the test provider answers instantly; speech-to-text
 * is replaced at its interface (SpeechToText) by an instant fixed transcript.
 *
 * Two users send the same requests: one with memory off (the default), one with memory on
 * and 50 memories (embedded; a few match the request), so every request of theirs includes
 * recall (the state query, full-text search, an embeddings call to the provider, cosine)
 * and queues extraction, which runs in the background of the same process while their
 * next requests are measured. The users take turns in blocks of 100 requests, so that
 * load on the machine falls on both alike, and one's background work does not land in
 * the other's figures.
 *
 * Baseline, measured in the same run and paired with every route request: the same chat
 * completion sent straight to the provider with the `openai` SDK. Overhead per request =
 * route time − baseline time of the paired call.
 * Targets (issues 4 and 12): overhead p50 < 5 ms, p99 < 20 ms over ≥ 1,000 requests, memory on or off.
 * Writes bench/results/glasses.json.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { createApp, createServices } from "../server/src/app.ts";
import { openDatabase } from "../server/src/db/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { parseConfig } from "../server/src/env.ts";
import { createAccessToken } from "../server/src/accounts/index.ts";
import { EXTRACTION_INSTRUCTION } from "../server/src/memory/index.ts";
import { createModel } from "../server/src/models/service.ts";
import { createSecretBox } from "../server/src/crypto/secret-box.ts";
import type { SpeechToText } from "../server/src/speech/index.ts";
import { type ChatRequest, startFakeProvider } from "../tests/support/fake-provider.ts";
import { fixture } from "../tests/support/fixtures.ts";

const REQUESTS = Number(process.argv[2] ?? 1000);
const WARMUP = 50;
const TRANSCRIPT = "What's the capital of France?";

const audio = await fixture("noa-app-request-audio.wav");
const image = await fixture("noa-app-request-image.jpg");

/** Speech at its interface boundary: the route's own decoding, silence check and queueing still run. */
const instantSpeech: SpeechToText = {
  transcribe: async () => ({ text: TRANSCRIPT, ms: 0 }),
  close: async () => {},
};

const dir = mkdtempSync(join(tmpdir(), "aiui-bench-glasses-"));
const provider = await startFakeProvider();
// Extraction requests find nothing worth remembering (the common case); answers echo.
const extraction = (request: ChatRequest) => (request.messages?.[0]?.content === EXTRACTION_INSTRUCTION ? '{"operations": []}' : undefined);
provider.script("echo-memory", { textFor: extraction });
// The fake provider listens on loopback.
const config = parseConfig({ NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: `file:${join(dir, "bench.db")}`, PROVIDER_ALLOW_PRIVATE_NETWORKS: "true" });
const database = await openDatabase(config.database.url, config.database.provider);
await applyMigrations(database.db, database.provider);
const key = randomBytes(32);
const services = createServices({ config, db: database.db, encryptionKey: key });

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
const server = createApp({ config, db: database.db, encryptionKey: key, speech: instantSpeech }, services).listen({ hostname: "127.0.0.1", port: 0 });
const routeUrl = `http://127.0.0.1:${server.server!.port}/mm/mm/`;

const history = JSON.stringify([
  { role: "user", content: "Hello there" },
  { role: "assistant", content: "Hi! How can I help?" },
]);
const sdk = new OpenAI({ baseURL: provider.url, apiKey: "unused", maxRetries: 0 });

async function routeOnce(secret: string): Promise<number> {
  const body = new FormData();
  body.append("audio", new File([audio], "audio.wav"));
  body.append("image", new File([image], "image.jpg"));
  body.append("messages", history);
  body.append("location", "");
  body.append("time", "2025-07-02 11:29:48.054846");
  const started = performance.now();
  const response = await fetch(routeUrl, { method: "POST", headers: { Authorization: `Bearer ${secret}` }, body });
  const answer = (await response.json()) as { message?: string };
  const ms = performance.now() - started;
  if (response.status !== 200 || !answer.message) throw new Error(`route answered ${response.status}: ${JSON.stringify(answer)}`);
  return ms;
}

async function providerOnce(): Promise<number> {
  const started = performance.now();
  await sdk.chat.completions.create({
    model: "echo",
    messages: [
      { role: "system", content: "You are Noa." },
      { role: "user", content: "Hello there" },
      { role: "assistant", content: "Hi! How can I help?" },
      {
        role: "user",
        content: [
          { type: "text", text: TRANSCRIPT },
          { type: "image_url", image_url: { url: `data:image/jpeg;base64,${Buffer.from(image).toString("base64")}` } },
        ],
      },
    ],
  });
  return performance.now() - started;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: +percentile(sorted, 50).toFixed(2), p99: +percentile(sorted, 99).toFixed(2), max: +sorted.at(-1)!.toFixed(2) };
};

for (let i = 0; i < WARMUP; i++) {
  await routeOnce(memoryOff);
  await routeOnce(memoryOn);
  await providerOnce();
}
// The warm-up's recalls embedded the memories in the background.
await services.memory.idle();
const embedded = await database.db.memory.count({ where: { embedding: { not: null } } });
const requestsBefore = provider.requests.length;

const BLOCK = 100;
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
  await services.memory.idle();
}
for (let done = 0; done < REQUESTS; done += BLOCK) {
  const count = Math.min(BLOCK, REQUESTS - done);
  await block(memoryOff, off, overheadOff, count);
  await block(memoryOn, on, overheadOn, count);
}
const during = provider.requests.slice(requestsBefore);

// Memory's own share of a request, apart from the route: recall for the memory-on user as
// the route runs it (state read, full-text search, the request's embedding, cosine).
const onUser = await database.db.user.findUniqueOrThrow({ where: { email: "on@example.com" }, include: { models: true } });
const recallMs: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  const started = performance.now();
  const turn = services.memory.turn({ db: database.db, userId: onUser.id, model: onUser.models[0]!, conversation: [{ role: "user", content: TRANSCRIPT }] });
  const section = await turn.recall();
  recallMs.push(performance.now() - started);
  if (!section.includes("France")) throw new Error(`recall found nothing: ${JSON.stringify(section)}`);
}
await services.memory.idle();
const isExtraction = (r: (typeof during)[number]) => (r.body as ChatRequest | undefined)?.messages?.[0]?.content === EXTRACTION_INSTRUCTION;

const result = {
  when: new Date().toISOString(),
  requests: REQUESTS,
  machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version, loadAverage: (await import("node:os")).loadavg().map((x) => +x.toFixed(2)) },
  routeMemoryOffMs: summary(off),
  routeMemoryOnMs: summary(on),
  providerBaselineMs: summary(baseline),
  overheadMemoryOffMs: summary(overheadOff),
  overheadMemoryOnMs: summary(overheadOn),
  recallAloneMs: summary(recallMs),
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
console.log(`glasses route, ${REQUESTS} sequential requests per user, in turns of ${BLOCK} (fixture WAV + JPEG + history), SQLite, instant provider and speech`);
console.table({
  "route, memory off": result.routeMemoryOffMs,
  "route, memory on": result.routeMemoryOnMs,
  "provider (baseline)": result.providerBaselineMs,
  "overhead, memory off": result.overheadMemoryOffMs,
  "overhead, memory on": result.overheadMemoryOnMs,
  "recall alone (memory on)": result.recallAloneMs,
});
console.log(
  `memory on: ${result.memory.memories} memories (${embedded} embedded); during the run ${result.memory.embeddingCalls} embeddings calls, ` +
    `${result.memory.extractionCalls} extraction calls (background) for ${REQUESTS} requests`,
);
for (const [name, met] of Object.entries(result.targets)) console.log(`${name}: ${met ? "met" : "MISSED"}`);
mkdirSync(new URL("results/", import.meta.url), { recursive: true });
writeFileSync(new URL("results/glasses.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

await server.stop();
await services.memory.close();
await database.close();
await provider.stop();
rmSync(dir, { recursive: true, force: true });
