/**
 * `bun run bench:whisper-memory`: resident memory of a real server process (/proc VmRSS,
 * worker threads included) with local Whisper, through its life: idle without speech (the
 * OpenAI-compatible backend, nothing loaded), right after WHISPER_PRELOAD loaded the model,
 * and after 5 glasses requests were transcribed. Models: the tiny generated test model
 * (fp32) and a random-weight model of whisper-base's real shape (q8), as bench/stt.ts uses
 * (no real weights can be downloaded here; memory depends on shapes, not values).
 * Target (issue 13): under 600 MB after use with base q8. Writes bench/results/whisper-memory.json.
 * BENCH_MALLOC_ARENA_MAX=N starts the servers with MALLOC_ARENA_MAX=N (glibc's malloc arenas).
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
import { round, writeResults } from "./support/common.ts";

const TRANSCRIPTIONS = 5;
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
  const process = await startServerProcess({ NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: url, ENCRYPTION_KEY: key.toString("base64"), ...(Bun.env.BENCH_MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: Bun.env.BENCH_MALLOC_ARENA_MAX } : {}), ...env }, 120_000);
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

const models: { name: string; spec: WhisperModelSpec; dtype: string }[] = [
  { name: "tiny generated test model, fp32", spec: TEST_MODEL, dtype: "fp32" },
  { name: "whisper-base shape (random weights), q8", spec: { ...WHISPER_BASE_SHAPE, quantized: true, neverStop: true }, dtype: "q8" },
];
for (const { name, spec, dtype } of models) {
  const modelDir = await ensureWhisperModel(spec, DEFAULT_MODEL_CACHE);
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
  await Bun.sleep(500);
  const afterPreload = app.process.rssMiB();
  const after: number[] = [];
  for (let i = 0; i < TRANSCRIPTIONS; i++) {
    await app.noa();
    after.push(app.process.rssMiB());
  }
  await Bun.sleep(500);
  const afterUse = app.process.rssMiB();
  results[name] = { afterPreloadMiB: afterPreload, afterEachTranscriptionMiB: after, afterUseMiB: afterUse, targetMet: afterUse < TARGET_MIB };
  console.log(`${name}: ${afterPreload} MiB after preload, ${afterUse} MiB after ${TRANSCRIPTIONS} transcriptions (${after.join(", ")})`);
  await app.stop();
}
writeResults("whisper-memory", { targetMiB: round(TARGET_MIB, 1), transcriptions: TRANSCRIPTIONS, results });
await provider.stop();
