// Typed errors of the speech module; routes map them to HTTP answers:
//   AudioDecodeError → 400, UnsupportedAudioError → 415,
//   SpeechModelUnavailableError → 503, TranscriptionError → 502 (the glasses route).

/** The audio is broken (truncated, corrupt, empty upload) or outside the limits (sample rate, channels, length). */
export class AudioDecodeError extends Error {
  override name = "AudioDecodeError";
}

/** Not a RIFF/WAVE file at all: the caller may hand the bytes to ffmpeg instead. */
export class NotWavError extends AudioDecodeError {
  override name = "NotWavError";
}

/** A format this server cannot decode (for example: not WAV and no ffmpeg installed). */
export class UnsupportedAudioError extends Error {
  override name = "UnsupportedAudioError";
}

/** The speech model could not be loaded; the message names the model and what to do. */
export class SpeechModelUnavailableError extends Error {
  override name = "SpeechModelUnavailableError";
  constructor(
    message: string,
    readonly model: string,
  ) {
    super(message);
  }
}

/** The model is loaded but this transcription failed (or its worker died while running it). */
export class TranscriptionError extends Error {
  override name = "TranscriptionError";
}
