/**
 * `bun run bench:whisper-memory`: resident memory of a real server process (/proc VmRSS,
 * worker threads included) with local Whisper, through its life: idle without speech (the
 * OpenAI-compatible backend, nothing loaded), right after WHISPER_PRELOAD loaded the model,
 * and after 5 glasses requests were transcribed. Models: the tiny generated test model
 * (fp32) and a random-weight model of whisper-base's real shape (q8), as bench/stt.ts uses
 * (no real weights can be downloaded here; memory depends on shapes, not values).
 * Target (issue 13): under 600 MB after use with base q8. Writes bench/results/whisper-memory.json.
 * The peak is RSS sampled every 10 ms while the transcriptions run; latency is each glasses
 * request's wall time (almost all of it transcription with these models).
 * Options: --runs=N (default 1) repeats each model on a fresh server and reports min/median/max;
 * --transcriptions=N (default 5); --models=tiny,base (default both).
 * BENCH_MALLOC_ARENA_MAX=N starts the servers with MALLOC_ARENA_MAX=N (glibc's malloc arenas);
 * BENCH_SERVER_ENV="A=1 B=2" adds any other variables (e.g. LD_PRELOAD for another allocator).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { createAccessToken } from "../server/src/accounts/index.ts";
import { createSecretBox } from "../server/src/crypto/secret-box.ts";
import { openDatabase } from "../server/src/db/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { parseConfig } from "../server/src/env.ts";
import { createModel } from "../server/src/models/service.ts";
import { startFakeProvider } from "../tests/support/fake-provider.ts";
import { fixture, noaAppForm } from "../tests/support/fixtures.ts";
import { startServerProcess } from "../tests/support/server-process.ts";
import { DEFAULT_MODEL_CACHE, ensureWhisperModel, TEST_MODEL, WHISPER_BASE_SHAPE, type WhisperModelSpec } from "../tests/support/tiny-whisper/generate.ts";
import { arg, median, round, writeResults } from "./support/common.ts";

const TRANSCRIPTIONS = Number(arg("transcriptions", "5"));
const RUNS = Number(arg("runs", "1"));
const MODELS = arg("models", "tiny,base").split(",");
const extraEnv = Object.fromEntries(
  (Bun.env.BENCH_SERVER_ENV ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);
const TARGET_MIB = 600 / 1.048576; // 600 MB
const audio = await fixture("noa-app-request-audio.wav");
const image = await fixture("noa-app-request-image.jpg");
const provider = await startFakeProvider();
provider.script("echo", { text: "Paris." });

/** A server on a fresh SQLite file with one user, model and glasses token; `env` chooses speech. */
async function server(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "aiui-bench-whisper-"));
  const url = `file:${join(dir, "bench.db")}`;
  const config = parseConfig({ NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: url, PROVIDER_ALLOW_PRIVATE_NETWORKS: "true" });
  const database = await openDatabase(url, "sqlite");
  await applyMigrations(database.db, "sqlite");
  const key = randomBytes(32);
  const user = await database.db.user.create({ data: { email: "bench@example.com", passwordHash: "-", displayName: "Bench" } });
  await createModel(database.db, createSecretBox(key), user.id, { name: "Echo", providerModelId: "echo", baseUrl: provider.url }, config.providerNetwork);
  const { secret } = await createAccessToken(database.db, user.id, { name: "bench", scopes: ["glasses"] });
  await database.close();
  const process = await startServerProcess({ NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: url, ENCRYPTION_KEY: key.toString("base64"), ...(Bun.env.BENCH_MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: Bun.env.BENCH_MALLOC_ARENA_MAX } : {}), ...extraEnv, ...env }, 120_000);
  return {
    process,
    async noa() {
      const body = noaAppForm(audio, image);
      const response = await fetch(`${process.base}/mm/mm/`, { method: "POST", headers: { Authorization: `Bearer ${secret}` }, body });
      if (response.status !== 200) throw new Error(`route answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as { user_prompt?: string };
    },
    async stop() {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const results: Record<string, unknown> = {};
{
  const idle = await server({ STT_BACKEND: "openai", STT_OPENAI_BASE_URL: provider.url, STT_OPENAI_API_KEY: "sk-bench" });
  await idle.noa();
  await Bun.sleep(500);
  results.idleRssMiB = idle.process.rssMiB();
  console.log(`idle server (no local speech), after one request: ${results.idleRssMiB} MiB`);
  await idle.stop();
}

const models: { key: string; name: string; spec: WhisperModelSpec; dtype: string }[] = [
  { key: "tiny", name: "tiny generated test model, fp32", spec: TEST_MODEL, dtype: "fp32" },
  { key: "base", name: "whisper-base shape (random weights), q8", spec: { ...WHISPER_BASE_SHAPE, quantized: true, neverStop: true }, dtype: "q8" },
];
const spread = (values: number[]) => ({ min: Math.min(...values), median: median(values), max: Math.max(...values) });
for (const { name, spec, dtype } of models.filter((m) => MODELS.includes(m.key))) {
  const modelDir = await ensureWhisperModel(spec, DEFAULT_MODEL_CACHE);
  const runs: { afterPreloadMiB: number; afterEachTranscriptionMiB: number[]; afterUseMiB: number; peakMiB: number; latencyMs: number[] }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const app = await server({
      STT_BACKEND: "whisper",
      WHISPER_MODEL: basename(modelDir),
      WHISPER_CACHE_DIR: dirname(modelDir),
      WHISPER_DTYPE: dtype,
      WHISPER_ALLOW_REMOTE: "false",
      WHISPER_PRELOAD: "true",
    });
    const deadline = Date.now() + 120_000;
    while (!/\[speech\] whisper model .* loaded/.test(app.process.log())) {
      if (Date.now() > deadline) throw new Error(`model not loaded:\n${app.process.log()}`);
      await Bun.sleep(100);
    }
    await Bun.sleep(1000); // the worker releases memory once idle (100 ms, then up to a few hundred)
    const afterPreload = app.process.rssMiB();
    let peak = afterPreload;
    const sampler = setInterval(() => {
      peak = Math.max(peak, app.process.rssMiB());
    }, 10);
    const after: number[] = [];
    const latency: number[] = [];
    for (let i = 0; i < TRANSCRIPTIONS; i++) {
      const started = performance.now();
      await app.noa();
      latency.push(Math.round(performance.now() - started));
      after.push(app.process.rssMiB());
    }
    clearInterval(sampler);
    await Bun.sleep(1000);
    const afterUse = app.process.rssMiB();
    runs.push({ afterPreloadMiB: afterPreload, afterEachTranscriptionMiB: after, afterUseMiB: afterUse, peakMiB: peak, latencyMs: latency });
    console.log(
      `${name}: ${afterPreload} MiB after preload, ${afterUse} MiB after ${TRANSCRIPTIONS} transcriptions ` +
        `(${after.join(", ")}; peak ${peak}); request ms ${latency.join(", ")}`,
    );
    await app.stop();
  }
  const afterUse = runs.map((r) => r.afterUseMiB);
  const summary = {
    afterPreloadMiB: spread(runs.map((r) => r.afterPreloadMiB)),
    afterUseMiB: spread(afterUse),
    peakMiB: spread(runs.map((r) => r.peakMiB)),
    latencyMs: spread(runs.flatMap((r) => r.latencyMs)),
  };
  results[name] = { ...summary, targetMet: Math.max(...afterUse) < TARGET_MIB, runs };
  if (RUNS > 1) console.log(`${name}, ${RUNS} runs (min/median/max): ${JSON.stringify(summary)}`);
}
writeResults("whisper-memory", { targetMiB: round(TARGET_MIB, 1), transcriptions: TRANSCRIPTIONS, env: extraEnv, results });
await provider.stop();
