// Runs Whisper (transformers.js + onnxruntime-node) off the main thread. The model is loaded
// once per worker; transcriptions run one at a time in arrival order. Whenever the worker
// falls idle (after the load, after the last queued transcription) it hands freed memory
// back to the system: see releaseMemory.
import {
  type AutomaticSpeechRecognitionPipeline,
  env,
  LogitsProcessor,
  LogitsProcessorList,
  pipeline,
  type Tensor,
} from "@huggingface/transformers";
import { loadMallocTrim } from "./whisper-malloc-trim";
import type { FromWorker, ToWorker, WhisperWorkerConfig } from "./whisper-protocol";

declare const self: Worker;

const WINDOW_SECONDS = 30;
const SAMPLE_RATE = 16000;

/** The parts of a multilingual Whisper generation_config.json used here. */
interface WhisperGenerationIds {
  is_multilingual?: boolean;
  decoder_start_token_id: number;
  lang_to_id: Record<string, number>;
  task_to_id: Record<string, number>;
  no_timestamps_token_id: number;
  begin_suppress_tokens?: number[];
}

/**
 * Rules for Whisper's prompt prefix <|startoftranscript|> <|lang|> <|transcribe|> <|notimestamps|>.
 *
 * - Language detection in the same decoding pass (transformers.js 4.3 has none and assumes
 *   English): when only <|startoftranscript|> is given, the next token must be a language
 *   token, so the model's most likely language wins; <|transcribe|> <|notimestamps|> follow.
 * - After the prefix, language tokens are not allowed: they mean nothing there, and
 *   transformers.js's decoder throws on a language switch with no text before it.
 */
class WhisperPrefixRules extends LogitsProcessor {
  static readonly PREFIX_LENGTH = 4;
  detected: string | undefined;
  private readonly codeById: Map<number, string>;
  private readonly forced: number[];
  private readonly beginSuppressed: number[];

  constructor(
    ids: WhisperGenerationIds,
    private readonly detect: boolean,
  ) {
    super();
    this.beginSuppressed = ids.begin_suppress_tokens ?? [];
    this.codeById = new Map(Object.entries(ids.lang_to_id).map(([token, id]) => [id, token.slice(2, -2)]));
    this.forced = [ids.task_to_id.transcribe as number, ids.no_timestamps_token_id];
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const vocab = logits.dims.at(-1) as number;
    const data = logits.data as Float32Array;
    inputIds.forEach((tokens, row) => {
      const scores = data.subarray(row * vocab, (row + 1) * vocab);
      if (tokens.length >= WhisperPrefixRules.PREFIX_LENGTH) {
        for (const id of this.codeById.keys()) scores[id] = Number.NEGATIVE_INFINITY;
        // What transformers.js applies after a full given prefix (no empty or space-led text).
        if (this.detect && tokens.length === WhisperPrefixRules.PREFIX_LENGTH) {
          for (const id of this.beginSuppressed) scores[id] = Number.NEGATIVE_INFINITY;
        }
      } else if (this.detect && tokens.length === 1) {
        for (let id = 0; id < vocab; id++) if (!this.codeById.has(id)) scores[id] = Number.NEGATIVE_INFINITY;
      } else if (this.detect) {
        this.detected = this.codeById.get(Number(tokens[1]));
        const forced = this.forced[tokens.length - 2] as number;
        scores.fill(Number.NEGATIVE_INFINITY);
        scores[forced] = 0;
      }
    });
    return logits;
  }
}

let config: WhisperWorkerConfig | undefined;
let model: Promise<AutomaticSpeechRecognitionPipeline> | undefined;
let queue: Promise<void> = Promise.resolve();
/** Transcriptions received and not finished yet. */
let waiting = 0;
let releaseTimer: Timer | undefined;
const mallocTrim = loadMallocTrim();
const RELEASE_DELAY_MS = 100;

const post = (message: FromWorker) => self.postMessage(message);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function loadModel(): Promise<AutomaticSpeechRecognitionPipeline> {
  if (!config) return Promise.reject(new Error("speech worker used before it was configured"));
  const { model: modelId, cacheDir, dtype, allowRemote, remoteHost, threads } = config;
  model ??= (async () => {
    post({ type: "loading" });
    // This worker owns its copy of the library, so these settings affect nothing else.
    env.allowLocalModels = true;
    env.allowRemoteModels = allowRemote;
    env.useBrowserCache = false;
    env.useFSCache = true;
    if (remoteHost) env.remoteHost = remoteHost;
    if (cacheDir) {
      env.cacheDir = cacheDir;
      // Offline, a hub id is looked up as <cacheDir>/<id>/, where downloads land.
      env.localModelPath = cacheDir;
    }
    const started = performance.now();
    try {
      const asr = await pipeline("automatic-speech-recognition", modelId, {
        device: "cpu",
        dtype,
        cache_dir: cacheDir,
        local_files_only: !allowRemote,
        // No CPU memory arena: with it ONNX Runtime keeps the peak of every run's buffers
        // for good (base q8 grew ~330 MiB over its first transcriptions); without it they are
        // freed after each run, for no measurable cost per run (docs/decisions/0014-performance.md).
        session_options: { enableCpuMemArena: false, ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}) },
      });
      post({ type: "loaded", ms: performance.now() - started });
      // Loading leaves the model files' buffers behind; a transcription waiting releases later.
      if (waiting === 0) releaseWhenIdle();
      return asr;
    } catch (error) {
      post({ type: "load-failed", message: messageOf(error) });
      throw error;
    }
  })();
  return model;
}

async function transcribe(id: number, samples: Float32Array, requested: string | undefined): Promise<void> {
  let asr: AutomaticSpeechRecognitionPipeline;
  try {
    asr = await loadModel();
  } catch (error) {
    post({ type: "failed", id, message: messageOf(error) });
    return;
  }
  try {
    const started = performance.now();
    const { language: defaultLanguage, maxNewTokens } = config as WhisperWorkerConfig; // set before loading
    const ids = asr.model.generation_config as unknown as WhisperGenerationIds | null;
    // undefined: the configured default; "" or "auto": detect.
    const chosen = requested ?? defaultLanguage;
    const language = chosen && chosen !== "auto" ? chosen : undefined;
    const options: Record<string, unknown> = { max_new_tokens: maxNewTokens };
    let rules: WhisperPrefixRules | undefined;
    // English-only checkpoints have no language tokens and reject language/task options.
    if (ids?.is_multilingual) {
      rules = new WhisperPrefixRules(ids, !language);
      const processors = new LogitsProcessorList();
      processors.push(rules);
      options.logits_processor = processors;
      if (language) {
        Object.assign(options, { language, task: "transcribe" });
      } else {
        // Start from <|startoftranscript|> alone; the rules add the rest of the prefix.
        options.decoder_input_ids = [ids.decoder_start_token_id];
        options.max_new_tokens = maxNewTokens + WhisperPrefixRules.PREFIX_LENGTH - 1;
      }
    }
    // Longer clips are cut into overlapping 30 s windows instead of being truncated.
    if (samples.length > WINDOW_SECONDS * SAMPLE_RATE) options.chunk_length_s = WINDOW_SECONDS;

    const output = await asr(samples, options);
    const text = (Array.isArray(output) ? output.map((o) => o.text).join(" ") : output.text).trim();
    post({ type: "result", id, text, language: language ?? rules?.detected, ms: performance.now() - started });
  } catch (error) {
    post({ type: "failed", id, message: messageOf(error) });
  }
}

/**
 * Gives memory freed by the last run back to the system (docs/decisions/0020-whisper-memory.md).
 * A full collection first, so that tensors the run left to the garbage collector free their
 * native buffers; then malloc_trim, because glibc keeps what ONNX Runtime frees in its arenas
 * (base q8: ~150 MiB more or less resident from one transcription to the next, 650–840 MiB
 * after 5 instead of ~500). Called only when nothing is queued (releaseWhenIdle); it takes
 * tens of milliseconds, a few hundred on a loaded machine.
 */
function releaseMemory(): void {
  releaseTimer = undefined;
  try {
    const started = performance.now();
    Bun.gc(true);
    const trimmed = mallocTrim();
    post({ type: "released", ms: performance.now() - started, trimmed });
  } catch {
    // An error thrown from a timer would end the worker; a failed release only leaves memory where it was.
  }
}

/**
 * Releases once the worker has stayed idle for RELEASE_DELAY_MS: a client that sends its next
 * request as soon as it has a transcript (back to back) never waits behind a release.
 */
function releaseWhenIdle(): void {
  clearTimeout(releaseTimer);
  releaseTimer = setTimeout(releaseMemory, RELEASE_DELAY_MS);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "configure":
      config = message.config;
      break;
    case "load":
      loadModel().catch(() => {}); // reported through "load-failed"
      break;
    case "transcribe":
      waiting++;
      clearTimeout(releaseTimer);
      queue = queue
        .then(() => transcribe(message.id, message.samples, message.language))
        .then(() => {
          if (--waiting === 0) releaseWhenIdle();
        });
      break;
  }
};
