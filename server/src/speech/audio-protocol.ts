// Messages between the request thread (audio-thread.ts) and audio-worker.ts.
import type { VoiceActivity } from "./voice-activity";

export type AudioJob =
  /** A RIFF/WAVE upload → mono samples at 16 kHz. */
  /** `withWav`: also the samples as a 16-bit WAV file (an OpenAI-compatible STT backend sends that). */
  | { type: "decode-wav"; bytes: Uint8Array; maxSeconds: number; withWav?: boolean }
  /** ffmpeg's output, 16-bit little-endian mono PCM in the pieces it was read in → samples. */
  | { type: "pcm16"; chunks: Uint8Array[] }
  /** Samples → a 16-bit PCM WAV file. */
  | { type: "encode-wav"; samples: Float32Array; sampleRate: number };

export type ToAudioWorker = AudioJob & { id: number };

export type FromAudioWorker =
  /** 16 kHz samples with their voice activity at default settings. */
  | { id: number; type: "samples"; samples: Float32Array; activity: VoiceActivity; wav?: Uint8Array<ArrayBuffer> }
  | { id: number; type: "wav"; wav: Uint8Array<ArrayBuffer> }
  /** `name`: the error class, so the request thread can throw the same kind. */
  | { id: number; type: "failed"; name: string; message: string };
