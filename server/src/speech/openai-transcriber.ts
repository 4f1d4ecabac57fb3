// Speech-to-text through an OpenAI-compatible `/v1/audio/transcriptions` endpoint
// (OpenAI, Groq, a local whisper.cpp / faster-whisper server, …).
import OpenAI from "openai";
import { wavOf } from "./audio-thread";
import { TranscriptionError } from "./errors";
import type { SpeechToText, TranscribeOptions, Transcript } from "./types";
import { WHISPER_SAMPLE_RATE } from "./wav";

export interface OpenAITranscriberOptions {
  /** e.g. "https://api.openai.com/v1" or "http://localhost:8000/v1". */
  baseURL: string;
  apiKey: string;
  /** e.g. "whisper-1", "gpt-4o-mini-transcribe". */
  model: string;
  /** Default spoken language (ISO-639-1); per-request language wins; unset, "" or "auto": detect. */
  language?: string;
  /** Per-request timeout; default 60 000 ms. */
  timeoutMs?: number;
  /** Retries on network errors and 5xx/429; default 1. */
  maxRetries?: number;
}

export class OpenAITranscriber implements SpeechToText {
  private readonly client: OpenAI;
  readonly wantsWav = true;

  constructor(private readonly options: OpenAITranscriberOptions) {
    this.client = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 1,
    });
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions = {}): Promise<Transcript> {
    // 16-bit WAV is accepted by every implementation of this API and is lossless for speech.
    // Encoded in the audio worker (10 minutes take ~200 ms of CPU), when decoded if asked for then.
    const file = new File([await wavOf(samples, WHISPER_SAMPLE_RATE)], "audio.wav", { type: "audio/wav" });
    const chosen = options.language ?? this.options.language;
    const language = chosen && chosen !== "auto" ? chosen : undefined; // else the service detects it
    const started = performance.now();
    try {
      const result = await this.client.audio.transcriptions.create({
        file,
        model: this.options.model,
        ...(language ? { language } : {}),
      });
      return { text: result.text.trim(), ms: performance.now() - started };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TranscriptionError(`transcription service at ${this.options.baseURL} failed: ${reason}`);
    }
  }

  async close(): Promise<void> {}
}
