// Messages between WhisperTranscriber (main thread) and whisper-worker.ts.

export type WhisperDtype = "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4" | "q4f16" | "bnb4";

export interface WhisperWorkerConfig {
  /** Hub id ("onnx-community/whisper-base") or an absolute folder path. */
  model: string;
  cacheDir?: string;
  dtype: WhisperDtype | { encoder_model?: WhisperDtype; decoder_model_merged?: WhisperDtype };
  allowRemote: boolean;
  remoteHost?: string;
  /** Default language; undefined, "" or "auto": detect. */
  language?: string;
  maxNewTokens: number;
  threads?: number;
}

export type ToWorker =
  | { type: "configure"; config: WhisperWorkerConfig }
  | { type: "load" }
  | { type: "transcribe"; id: number; samples: Float32Array; language?: string };

export type FromWorker =
  | { type: "loading" }
  | { type: "loaded"; ms: number }
  | { type: "load-failed"; message: string }
  | { type: "result"; id: number; text: string; language?: string; ms: number }
  | { type: "failed"; id: number; message: string }
  /** The worker fell idle and returned freed memory; trimmed: glibc's malloc_trim ran (Linux). */
  | { type: "released"; ms: number; trimmed: boolean };
