/**
 * `bun run bench:glasses`: what the glasses route itself adds to a request, without
 * speech or model time. The Noa app's fixture request (WAV + JPEG + history) goes to a
 * real listening server on SQLite; the test provider answers instantly; speech-to-text
 * is replaced at its interface (SpeechToText) by an instant fixed transcript.
 *
 * Baseline, measured in the same run and interleaved with the route requests: the same
 * chat completion sent straight to the provider with the `openai` SDK. Overhead per
 * request = route time − baseline time of the paired call.
 * Target (issue 4): overhead p50 < 5 ms, p99 < 20 ms over ≥ 1,000 requests.
 * Writes bench/results/glasses.json.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { createApp } from "../server/src/app.ts";
import { openDatabase } from "../server/src/db/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { parseConfig } from "../server/src/env.ts";
import { createGlassesToken } from "../server/src/glasses/tokens.ts";
import { createModel } from "../server/src/models/service.ts";
import { createSecretBox } from "../server/src/crypto/secret-box.ts";
import type { SpeechToText } from "../server/src/speech/index.ts";
import { startFakeProvider } from "../tests/support/fake-provider.ts";
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
// The fake provider listens on loopback.
const config = parseConfig({ NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: `file:${join(dir, "bench.db")}`, PROVIDER_ALLOW_PRIVATE_NETWORKS: "true" });
const database = await openDatabase(config.database.url, config.database.provider);
await applyMigrations(database.db, database.provider);
const key = randomBytes(32);
const user = await database.db.user.create({ data: { email: "bench@example.com", passwordHash: "-", displayName: "Bench" } });
await createModel(database.db, createSecretBox(key), user.id, { name: "Echo", providerModelId: "echo", baseUrl: provider.url, supportsImages: true }, config.providerNetwork);
const { secret } = await createGlassesToken(database.db, user.id, "bench");
const server = createApp({ config, db: database.db, encryptionKey: key, speech: instantSpeech }).listen({ hostname: "127.0.0.1", port: 0 });
const routeUrl = `http://127.0.0.1:${server.server!.port}/mm/mm/`;

const history = JSON.stringify([
  { role: "user", content: "Hello there" },
  { role: "assistant", content: "Hi! How can I help?" },
]);
const sdk = new OpenAI({ baseURL: provider.url, apiKey: "unused", maxRetries: 0 });

async function routeOnce(): Promise<number> {
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
  await routeOnce();
  await providerOnce();
}
const route: number[] = [];
const baseline: number[] = [];
const overhead: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  const r = await routeOnce();
  const b = await providerOnce();
  route.push(r);
  baseline.push(b);
  overhead.push(r - b);
}

const result = {
  when: new Date().toISOString(),
  requests: REQUESTS,
  machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version },
  routeMs: summary(route),
  providerBaselineMs: summary(baseline),
  overheadMs: summary(overhead),
  ratioRouteToBaselineP50: +(summary(route).p50 / summary(baseline).p50).toFixed(2),
  targets: { overheadP50Below5ms: summary(overhead).p50 < 5, overheadP99Below20ms: summary(overhead).p99 < 20 },
};
console.log(`glasses route, ${REQUESTS} sequential requests (fixture WAV + JPEG + history), SQLite, instant provider and speech`);
console.table({ route: result.routeMs, "provider (baseline)": result.providerBaselineMs, "overhead (route - baseline)": result.overheadMs });
console.log(`route/baseline p50 ratio: ${result.ratioRouteToBaselineP50}`);
console.log(`target overhead p50 < 5 ms: ${result.targets.overheadP50Below5ms ? "met" : "MISSED"} (${result.overheadMs.p50} ms)`);
console.log(`target overhead p99 < 20 ms: ${result.targets.overheadP99Below20ms ? "met" : "MISSED"} (${result.overheadMs.p99} ms)`);
mkdirSync(new URL("results/", import.meta.url), { recursive: true });
writeFileSync(new URL("results/glasses.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

await server.stop();
await database.close();
await provider.stop();
rmSync(dir, { recursive: true, force: true });
