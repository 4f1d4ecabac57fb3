// Local Whisper speech-to-text. Inference runs in a Bun Worker (whisper-worker.ts) so the
// server's event loop never blocks on ONNX Runtime; the worker loads the model once and
// serves requests one at a time. A worker that fails to load, crashes or exits is dropped
// and a fresh one is started on the next request (which also retries loading).
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { copyInSlices } from "./audio-thread";
import { SpeechModelUnavailableError, TranscriptionError } from "./errors";
import type { SpeechToText, TranscribeOptions, Transcript } from "./types";
import type { FromWorker, ToWorker, WhisperDtype, WhisperWorkerConfig } from "./whisper-protocol";

export type { WhisperDtype };

export interface WhisperOptions {
  /** Hub id such as "onnx-community/whisper-base", or a folder with the model files. */
  model: string;
  /** Where downloaded models are kept (and looked up offline); default: transformers.js's own. */
  cacheDir?: string;
  /** Weights to load: "fp32" (default), "q8", "fp16", …, or one per file. */
  dtype?: WhisperWorkerConfig["dtype"];
  /** true: download missing files once into cacheDir; false (default): local files only. */
  allowRemote?: boolean;
  /** A Hugging Face hub mirror to download from, e.g. "https://hf-mirror.com/"; default the hub. */
  remoteHost?: string;
  /**
   * Default spoken language ("en", "french", …); per-request language wins. Unset, "" or
   * "auto": detected per request by Whisper itself (multilingual models).
   */
  language?: string;
  /**
   * Upper bound on generated tokens per 30 s window. Default 224, the sample length of
   * OpenAI's reference decoder: enough for a full window, and it stops runaway repetition.
   */
  maxNewTokens?: number;
  /** ONNX Runtime threads per operator; default: all cores. */
  threads?: number;
  /** Start loading when the transcriber is created, instead of on the first request. */
  preload?: boolean;
  /** Appended to "model unavailable" errors, e.g. which setting to change in this app. */
  setupHint?: string;
  /** Receives one line per model load, failure and worker restart; default console.info. */
  log?: (line: string) => void;
}

export type WhisperState = "idle" | "loading" | "ready" | "failed";

export interface WhisperStatus {
  state: WhisperState;
  /** Last load failure or worker crash, if any. */
  error?: string;
  /** Successful model loads since creation: stays 1 while one worker serves every request. */
  loadCount: number;
  /** Requests waiting for or being transcribed. */
  pending: number;
  /**
   * Times the worker fell idle and gave freed memory back to the system (after the load and
   * after the last of each batch of queued transcriptions), and how the last one went.
   */
  memoryReleases: number;
  lastRelease?: { ms: number; trimmed: boolean };
}

interface PendingRequest {
  resolve: (transcript: Transcript) => void;
  reject: (error: Error) => void;
}

interface LoadWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

const DEFAULT_MAX_NEW_TOKENS = 224;
const WORKER_URL = new URL("./whisper-worker.ts", import.meta.url);

/** A folder path (absolute, ./relative or existing) is loaded as is; anything else is a hub id. */
function resolveModelLocation(model: string): string {
  if (isAbsolute(model)) return model;
  const looksRelative = model.startsWith("./") || model.startsWith("../");
  if (looksRelative || (existsSync(model) && statSync(model).isDirectory())) return resolve(model);
  return model;
}

export class WhisperTranscriber implements SpeechToText {
  private readonly config: WhisperWorkerConfig;
  private readonly log: (line: string) => void;
  private worker: Worker | null = null;
  private state: WhisperState = "idle";
  private lastError: string | undefined;
  private loads = 0;
  private releases = 0;
  private lastRelease: WhisperStatus["lastRelease"];
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private loadWaiters: LoadWaiter[] = [];

  constructor(private readonly options: WhisperOptions) {
    if (!options.model) throw new TypeError("WhisperTranscriber needs a model (hub id or folder)");
    this.config = {
      model: resolveModelLocation(options.model),
      cacheDir: options.cacheDir,
      dtype: options.dtype ?? "fp32",
      allowRemote: options.allowRemote ?? false,
      remoteHost: options.remoteHost,
      language: options.language,
      maxNewTokens: options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      threads: options.threads,
    };
    this.log = options.log ?? ((line) => console.info(line));
    if (options.preload) this.preload().catch(() => {}); // the failure shows in status() and the log
  }

  get loadCount(): number {
    return this.loads;
  }

  status(): WhisperStatus {
    return {
      state: this.state,
      error: this.lastError,
      loadCount: this.loads,
      pending: this.pending.size,
      memoryReleases: this.releases,
      lastRelease: this.lastRelease,
    };
  }

  /** Loads the model now; resolves when it is ready, rejects with SpeechModelUnavailableError. */
  preload(): Promise<void> {
    if (this.state === "ready") return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.loadWaiters.push({ resolve, reject });
      // Harmless when loading already started: the worker loads once.
      this.send(this.ensureWorker(), { type: "load" });
    });
  }

  transcribe(samples: Float32Array, options: TranscribeOptions = {}): Promise<Transcript> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Transcript>((resolve, reject) => {
      // Pending at once, so that close() or a crash while the copy is made rejects it too.
      this.pending.set(id, { resolve, reject });
      // Send a copy: the caller keeps its buffer, the worker owns the transferred one. Made in
      // slices: 10 minutes of audio is 38 MB, ~20 ms of copying in one go.
      copyInSlices(samples, new Float32Array(samples.length)).then(
        (copy) => {
          if (this.worker === worker && this.pending.has(id)) {
            this.send(worker, { type: "transcribe", id, samples: copy, language: options.language }, [copy.buffer]);
          }
        },
        (error: Error) => this.settle(id)?.reject(error),
      );
    });
  }

  async close(): Promise<void> {
    this.dropWorker(new TranscriptionError("the speech transcriber was closed"));
    this.state = "idle";
  }

  private send(worker: Worker, message: ToWorker, transfer: Transferable[] = []): void {
    worker.postMessage(message, transfer);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL.href);
    this.worker = worker;
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (this.worker === worker) this.handle(event.data);
    };
    // An uncaught error or an exit inside the worker must not take the server down:
    // fail what it was doing and start over on the next request.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      if (this.worker === worker) this.crashed(`speech worker failed: ${event.message}`);
    };
    worker.addEventListener("close", () => {
      if (this.worker === worker) this.crashed("speech worker exited unexpectedly");
    });
    this.send(worker, { type: "configure", config: this.config });
    return worker;
  }

  private handle(message: FromWorker): void {
    switch (message.type) {
      case "loading":
        this.state = "loading";
        break;
      case "loaded": {
        this.state = "ready";
        this.lastError = undefined;
        this.loads++;
        this.log(
          `[speech] whisper model "${this.config.model}" (${JSON.stringify(this.config.dtype)}) ` +
            `loaded in ${Math.round(message.ms)} ms (load #${this.loads})`,
        );
        for (const waiter of this.takeLoadWaiters()) waiter.resolve();
        break;
      }
      case "load-failed": {
        const error = this.unavailable(message.message);
        this.log(`[speech] ${error.message}`);
        this.lastError = error.message;
        // The worker's library state (memoized lookups) may hold the failure: start afresh next time.
        this.dropWorker(error);
        this.state = "failed";
        break;
      }
      case "result":
        this.settle(message.id)?.resolve({ text: message.text, language: message.language, ms: message.ms });
        break;
      case "failed":
        this.settle(message.id)?.reject(new TranscriptionError(`transcription failed: ${message.message}`));
        break;
      case "released":
        this.releases++;
        this.lastRelease = { ms: message.ms, trimmed: message.trimmed };
        break;
    }
  }

  private settle(id: number): PendingRequest | undefined {
    const request = this.pending.get(id);
    this.pending.delete(id);
    return request;
  }

  private takeLoadWaiters(): LoadWaiter[] {
    const waiters = this.loadWaiters;
    this.loadWaiters = [];
    return waiters;
  }

  private crashed(reason: string): void {
    this.log(`[speech] ${reason}; a new worker starts with the next request`);
    this.lastError = reason;
    const wasLoading = this.state !== "ready";
    this.dropWorker(wasLoading ? this.unavailable(reason) : new TranscriptionError(reason));
    this.state = "idle";
  }

  /** Terminates the current worker and rejects everything that was waiting on it. */
  private dropWorker(error: Error): void {
    const worker = this.worker;
    this.worker = null;
    worker?.terminate();
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
    for (const waiter of this.takeLoadWaiters()) waiter.reject(error);
  }

  private unavailable(cause: string): SpeechModelUnavailableError {
    const { model, allowRemote, cacheDir } = this.config;
    const advice = allowRemote
      ? `Downloading it failed: check the model id and that the server can reach ${this.config.remoteHost ?? "huggingface.co"}, ` +
        "or point the speech model setting at a local folder holding the files."
      : "Downloads are off, so the files must be on disk: point the speech model setting at a folder holding " +
        "config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json and onnx/*.onnx" +
        (cacheDir ? ` (or put the hub folder under ${cacheDir})` : "") +
        ", or allow model downloads so it is fetched once.";
    const hint = this.options.setupHint ? ` ${this.options.setupHint}` : "";
    return new SpeechModelUnavailableError(
      `Speech model "${model}" could not be loaded: ${cause.replace(/\.+$/, "")}. ${advice}${hint}`,
      model,
    );
  }
}
