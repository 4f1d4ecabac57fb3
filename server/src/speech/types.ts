export interface TranscribeOptions {
  /**
   * Spoken language as a code ("en") or name ("english"); default: the backend's setting.
   * "" or "auto" asks the backend to detect it.
   */
  language?: string;
}

export interface Transcript {
  text: string;
  /** Language code the backend used or detected, when it says. */
  language?: string;
  /** Time the backend spent on this request (inference or HTTP call), in ms. */
  ms: number;
}

/** A speech-to-text backend: local Whisper in a worker, or an OpenAI-compatible service. */
export interface SpeechToText {
  /** `samples`: mono float audio at 16 kHz (see decodeAudio). */
  transcribe(samples: Float32Array, options?: TranscribeOptions): Promise<Transcript>;
  /**
   * Sends its audio as a 16 kHz 16-bit WAV file: decodeAudio({ withWav }) then encodes it in
   * the same audio worker trip as the decoding, and transcribe uses that file.
   */
  readonly wantsWav?: boolean;
  close(): Promise<void>;
}
