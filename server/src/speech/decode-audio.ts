// One entry point for uploaded audio: WAV is decoded by our own code (fast, no dependency),
// everything else goes through ffmpeg when it is installed. Either way the samples are
// made in the audio worker (audio-thread.ts), never on the request thread.
import { decodeWavInWorker, rememberEncodedWav } from "./audio-thread";
import { AudioDecodeError, UnsupportedAudioError } from "./errors";
import { decodeWithFfmpeg, type FfmpegOptions } from "./ffmpeg";
import { rememberVoiceActivity } from "./voice-activity";
import { MAX_AUDIO_SECONDS } from "./wav";

export type AudioContainer = "wav" | "ogg" | "webm" | "mp3" | "mp4" | "flac" | "unknown";

export type DecodeAudioOptions = FfmpegOptions & {
  /** Also encode a WAV upload's samples as a 16 kHz WAV file in the same worker trip (SpeechToText.wantsWav). */
  withWav?: boolean;
};

const ascii = (bytes: Uint8Array, start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));

/** Guesses the container from its magic bytes (the upload's file name and type are unreliable). */
export function sniffAudioContainer(bytes: Uint8Array): AudioContainer {
  // A RIFF header too short to name its form is a truncated WAV far more often than not.
  if (ascii(bytes, 0, 4) === "RIFF" && (bytes.length < 12 || ascii(bytes, 8, 12) === "WAVE")) return "wav";
  if (ascii(bytes, 0, 4) === "OggS") return "ogg";
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return "webm";
  if (ascii(bytes, 4, 8) === "ftyp") return "mp4";
  if (ascii(bytes, 0, 4) === "fLaC") return "flac";
  // ID3 tag, or an MPEG audio frame sync (11 set bits).
  if (ascii(bytes, 0, 3) === "ID3" || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return "mp3";
  return "unknown";
}

/**
 * Decodes an uploaded audio file to 16 kHz mono float samples; `bytes` is not changed.
 * Throws AudioDecodeError for broken files, for WAV sample rates outside 4–192 kHz and for
 * audio longer than `options.maxSeconds` (default 10 minutes), and UnsupportedAudioError
 * (→ 415) for formats that need ffmpeg when it is not installed. A WAV header with an
 * empty data chunk (the Noa app's empty capture) gives zero samples.
 */
export async function decodeAudio(bytes: Uint8Array, options: DecodeAudioOptions = {}): Promise<Float32Array> {
  if (bytes.length === 0) throw new AudioDecodeError("the audio upload is empty");
  if (sniffAudioContainer(bytes) === "wav") {
    try {
      const { samples, activity, wav } = await decodeWavInWorker(bytes, options.maxSeconds ?? MAX_AUDIO_SECONDS, options.withWav);
      rememberVoiceActivity(samples, activity);
      if (wav) rememberEncodedWav(samples, wav);
      return samples;
    } catch (error) {
      // A WAV with a codec we don't decode (ADPCM, µ-law, …) may still be fine for ffmpeg.
      if (!(error instanceof UnsupportedAudioError)) throw error;
    }
  }
  return decodeWithFfmpeg(bytes, options);
}
