// WhisperTranscriber end to end: the real Bun Worker, transformers.js and ONNX Runtime,
// running the small random-weight Whisper model from tests/support/tiny-whisper.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dlopen, FFIType } from "bun:ffi";
import { AutoModelForSpeechSeq2Seq, AutoProcessor, Tensor } from "@huggingface/transformers";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpeechModelUnavailableError, TranscriptionError } from "../../server/src/speech/errors";
import { decodeWav } from "../../server/src/speech/wav";
import { WhisperTranscriber, type WhisperOptions } from "../../server/src/speech/whisper-transcriber";
import { DEFAULT_MODEL_CACHE, ensureWhisperModel, TEST_MODEL } from "../support/tiny-whisper/generate";
import { WHISPER_LANGUAGES } from "../support/tiny-whisper/tokenizer";
import { fixture, noise, tinyWhisperModel } from "./helpers";

let modelDir: string;
let scratch: string;
let speech: Float32Array;
const opened: WhisperTranscriber[] = [];

/** A transcriber that is closed after the tests, with its log lines collected. */
function open(options: Partial<WhisperOptions> = {}) {
  const log: string[] = [];
  const transcriber = new WhisperTranscriber({ model: modelDir, maxNewTokens: 6, log: (l) => log.push(l), ...options });
  opened.push(transcriber);
  return { transcriber, log };
}

/** Whether this process runs on glibc, where the worker can call malloc_trim. */
const glibc = (() => {
  if (process.platform !== "linux") return false;
  try {
    dlopen("libc.so.6", { malloc_trim: { args: [FFIType.u64], returns: FFIType.i32 } }).close();
    return true;
  } catch {
    return false;
  }
})();

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(10);
  }
}

beforeAll(async () => {
  modelDir = await tinyWhisperModel();
  scratch = await mkdtemp(join(tmpdir(), "aiui-whisper-test-"));
  speech = decodeWav(await fixture("noa-app-request-audio.wav"));
});

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await rm(scratch, { recursive: true, force: true });
});

describe("WhisperTranscriber on the tiny model", () => {
  let shared: ReturnType<typeof open>;
  beforeAll(() => {
    shared = open();
  });

  test("starts idle, preload() loads the model and reports ready", async () => {
    expect(shared.transcriber.status()).toMatchObject({ state: "idle", loadCount: 0, pending: 0 });
    await shared.transcriber.preload();
    expect(shared.transcriber.status()).toMatchObject({ state: "ready", loadCount: 1 });
    expect(shared.log.filter((l) => l.includes("loaded in"))).toHaveLength(1);
  });

  test("transcribes the fixture utterance to (random) text", async () => {
    const result = await shared.transcriber.transcribe(speech, { language: "en" });
    expect(typeof result.text).toBe("string");
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.ms).toBeGreaterThan(0);
    expect(speech.length).toBe(29014); // the caller's buffer is not transferred away
  });

  test("the model loads once across many requests", async () => {
    const texts: string[] = [];
    for (let i = 0; i < 5; i++) texts.push((await shared.transcriber.transcribe(speech)).text);
    expect(new Set(texts).size).toBe(1); // same input, same greedy output
    expect(shared.transcriber.loadCount).toBe(1);
    expect(shared.log.filter((l) => l.includes("loaded in"))).toHaveLength(1);
  });

  test("concurrent requests are queued and all resolve with their own result", async () => {
    const inputs = [speech, noise(16000, 0.3), speech, new Float32Array(8000), speech, noise(32000, 0.1, 9)];
    const results = await Promise.all(inputs.map((samples) => shared.transcriber.transcribe(samples)));
    expect(results).toHaveLength(inputs.length);
    expect(results[0]?.text).toBe(results[2]?.text as string);
    expect(results[0]?.text).toBe(results[4]?.text as string);
    expect(shared.transcriber.status()).toMatchObject({ state: "ready", loadCount: 1, pending: 0 });
  });

  test("inference runs off the main thread: timers keep firing during transcription", async () => {
    let last = performance.now();
    let worstLag = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstLag = Math.max(worstLag, now - last - 5);
      last = now;
    }, 5);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 4 }, () => shared.transcriber.transcribe(speech)));
    const busyMs = performance.now() - started;
    clearInterval(ticker);
    expect(busyMs).toBeGreaterThan(200);
    // Inference on this thread would hold every tick back for at least one whole
    // transcription. The bound is that duration, as measured in the same run, rather than a
    // fixed 100 ms: on a loaded machine the OS alone can keep this thread off a core for that
    // long while each transcription takes several times longer (the test failed that way once).
    const shortest = Math.min(...results.map((r) => r.ms));
    expect(worstLag).toBeLessThan(shortest * 0.75);
  });

  test("the worker gives freed memory back when it falls idle, not between queued requests", async () => {
    const { transcriber } = open();
    await transcriber.preload();
    await waitFor(() => transcriber.status().memoryReleases === 1); // after the load
    const { text } = await transcriber.transcribe(speech);
    await waitFor(() => transcriber.status().memoryReleases === 2);
    expect(transcriber.status().lastRelease?.trimmed).toBe(glibc); // malloc_trim ran (glibc only)
    expect(transcriber.status().lastRelease?.ms).toBeGreaterThan(0);

    // Four at once: they queue in the worker, which releases once the last is done.
    const results = await Promise.all(Array.from({ length: 4 }, () => transcriber.transcribe(speech)));
    expect(results.map((r) => r.text)).toEqual([text, text, text, text]); // same greedy output after a release
    await waitFor(() => transcriber.status().memoryReleases >= 3);
    await Bun.sleep(200);
    expect(transcriber.status().memoryReleases).toBeLessThanOrEqual(4); // not one per request (6)
    expect(transcriber.status()).toMatchObject({ state: "ready", loadCount: 1, pending: 0 });
  });

  test("without a language, Whisper's own language identification picks one in the same pass", async () => {
    const result = await shared.transcriber.transcribe(speech);
    expect(WHISPER_LANGUAGES as readonly string[]).toContain(result.language as string);
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.text).not.toContain("<|"); // the forced prefix is not part of the text
    expect((await shared.transcriber.transcribe(speech, { language: "auto" })).language).toBe(result.language);
  });

  test("the detected language is the model's most likely language token after <|startoftranscript|>", async () => {
    const generation = await Bun.file(join(modelDir, "generation_config.json")).json();
    const processor = await AutoProcessor.from_pretrained(modelDir, { local_files_only: true });
    const model = await AutoModelForSpeechSeq2Seq.from_pretrained(modelDir, {
      device: "cpu",
      dtype: "fp32",
      local_files_only: true,
    });
    const { input_features } = await processor(speech);
    const start = new Tensor("int64", BigInt64Array.from([BigInt(generation.decoder_start_token_id)]), [1, 1]);
    const { logits } = await model({ input_features, decoder_input_ids: start });
    const scores = logits.data as Float32Array;
    const [best] = Object.entries(generation.lang_to_id as Record<string, number>).sort(
      ([, a], [, b]) => (scores[b] as number) - (scores[a] as number),
    )[0] as [string, number];
    await model.dispose();

    expect((await shared.transcriber.transcribe(speech)).language).toBe(best.slice(2, -2));
  });

  test("a requested language is used and reported", async () => {
    expect((await shared.transcriber.transcribe(speech, { language: "fr" })).language).toBe("fr");
    const { transcriber } = open({ language: "de" });
    expect((await transcriber.transcribe(speech)).language).toBe("de");
    expect(WHISPER_LANGUAGES as readonly string[]).toContain((await transcriber.transcribe(speech, { language: "" })).language as string);
  });

  test("language can be set per request; an unknown one fails that request only", async () => {
    expect((await shared.transcriber.transcribe(speech, { language: "french" })).text.length).toBeGreaterThan(0);
    const error = await shared.transcriber.transcribe(speech, { language: "klingon" }).catch((e) => e);
    expect(error).toBeInstanceOf(TranscriptionError);
    expect(error.message).toContain("klingon");
    expect((await shared.transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
    expect(shared.transcriber.loadCount).toBe(1);
  });
});

describe("loading", () => {
  test("preload: true starts loading before any request", async () => {
    const { transcriber } = open({ preload: true });
    await waitFor(() => transcriber.status().state === "ready");
    expect(transcriber.loadCount).toBe(1);
  });

  test("dtype q8 loads the quantized files; threads is passed to ONNX Runtime", async () => {
    const quantizedDir = await ensureWhisperModel({ ...TEST_MODEL, quantized: true }, DEFAULT_MODEL_CACHE);
    expect(await readdir(join(quantizedDir, "onnx"))).toContain("decoder_model_merged_quantized.onnx");
    const { transcriber, log } = open({ model: quantizedDir, dtype: "q8", threads: 1 });
    expect((await transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
    expect(log.join("\n")).toContain('"q8"');

    // One dtype per file, e.g. a full-precision encoder with a quantized decoder.
    const mixed = open({ model: quantizedDir, dtype: { encoder_model: "fp32", decoder_model_merged: "q8" } });
    expect((await mixed.transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
  });

  test("a dtype whose files are missing is reported as the model being unavailable", async () => {
    const { transcriber } = open({ dtype: "fp16" });
    const error = await transcriber.transcribe(speech).catch((e) => e);
    expect(error).toBeInstanceOf(SpeechModelUnavailableError);
    expect(error.message).toContain("_fp16.onnx");
  });

  test("a missing model folder (downloads off) rejects with SpeechModelUnavailableError; later calls retry", async () => {
    const folder = join(scratch, "whisper-not-here-yet");
    const { transcriber } = open({ model: folder, setupHint: "Set AIUI_TEST_MODEL_DIR." });
    const error = await transcriber.transcribe(speech).catch((e) => e);
    expect(error).toBeInstanceOf(SpeechModelUnavailableError);
    expect(error.model).toBe(folder);
    expect(error.message).toContain(folder);
    expect(error.message).toContain("allow model downloads");
    expect(error.message).toContain("Set AIUI_TEST_MODEL_DIR.");
    expect(transcriber.status()).toMatchObject({ state: "failed", loadCount: 0 });
    expect(transcriber.status().error).toContain(folder);
    await expect(transcriber.preload()).rejects.toBeInstanceOf(SpeechModelUnavailableError);

    await cp(modelDir, folder, { recursive: true });
    expect((await transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
    expect(transcriber.status()).toMatchObject({ state: "ready", loadCount: 1, error: undefined });
  });

  test("a hub id that is not cached, downloads off: the error names the model and the cache folder", async () => {
    const cacheDir = join(scratch, "empty-cache");
    const { transcriber } = open({ model: "onnx-community/whisper-base", cacheDir });
    const error = await transcriber.transcribe(speech).catch((e) => e);
    expect(error).toBeInstanceOf(SpeechModelUnavailableError);
    expect(error.model).toBe("onnx-community/whisper-base");
    expect(error.message).toContain(cacheDir);
  });

  test("downloads once into cacheDir (from a hub mirror), then works offline", async () => {
    const requests: string[] = [];
    // Serves the model folder the way the hub does: /<org>/<name>/resolve/<revision>/<file>
    const hub = Bun.serve({
      port: 0,
      fetch(request) {
        const path = new URL(request.url).pathname;
        requests.push(path);
        const match = path.match(/^\/aiui-test\/tiny-whisper\/resolve\/main\/(.+)$/);
        const file = match && Bun.file(join(modelDir, decodeURIComponent(match[1] as string)));
        return file ? file.exists().then((ok) => new Response(ok ? file : "not found", { status: ok ? 200 : 404 })) : new Response("not found", { status: 404 });
      },
    });
    const cacheDir = join(scratch, "download-cache");
    try {
      const online = open({
        model: "aiui-test/tiny-whisper",
        allowRemote: true,
        remoteHost: `http://127.0.0.1:${hub.port}/`,
        cacheDir,
      });
      expect((await online.transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
      expect(requests.some((p) => p.endsWith("/onnx/decoder_model_merged.onnx"))).toBe(true);
      await online.transcriber.close();
    } finally {
      hub.stop(true);
    }
    const cached = join(cacheDir, "aiui-test", "tiny-whisper");
    expect(await readdir(join(cached, "onnx"))).toContain("encoder_model.onnx");

    const offline = open({ model: "aiui-test/tiny-whisper", allowRemote: false, cacheDir });
    expect((await offline.transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
  });
});

describe("worker failures", () => {
  /** Kills the worker thread, as an out-of-memory abort or a native crash in it would. */
  const killWorker = (t: WhisperTranscriber) => (t as unknown as { worker: Worker }).worker.terminate();

  test("a dead worker fails its requests, does not take the process down, and is replaced", async () => {
    const { transcriber, log } = open();
    await transcriber.preload();
    const inFlight = transcriber.transcribe(speech);
    killWorker(transcriber);
    const error = await inFlight.catch((e) => e);
    expect(error).toBeInstanceOf(TranscriptionError);
    expect(transcriber.status().state).toBe("idle");
    expect(log.some((l) => l.includes("new worker"))).toBe(true);

    expect((await transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
    expect(transcriber.loadCount).toBe(2);
  });

  test("close() rejects pending requests; the next request starts a new worker", async () => {
    const { transcriber } = open();
    const pending = transcriber.transcribe(speech);
    await transcriber.close();
    await expect(pending).rejects.toBeInstanceOf(Error);
    expect((await transcriber.transcribe(speech)).text.length).toBeGreaterThan(0);
  });
});
