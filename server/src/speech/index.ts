// Speech input for AIUI: decode uploads to 16 kHz mono, skip silence, transcribe.
export { type AudioContainer, type DecodeAudioOptions, decodeAudio, sniffAudioContainer } from "./decode-audio";
export {
  AudioDecodeError,
  NotWavError,
  SpeechModelUnavailableError,
  TranscriptionError,
  UnsupportedAudioError,
} from "./errors";
export { decodeWithFfmpeg, type FfmpegOptions, isFfmpegAvailable } from "./ffmpeg";
export { speechFromConfig } from "./from-config";
export { type OpenAITranscriberOptions, OpenAITranscriber } from "./openai-transcriber";
export { resample } from "./resample";
export type { SpeechToText, TranscribeOptions, Transcript } from "./types";
export { isSilent, measureVoiceActivity, type VoiceActivity, type VoiceActivityOptions } from "./voice-activity";
export {
  decodeWav,
  encodeWav,
  isRiffWave,
  MAX_AUDIO_SECONDS,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  readWav,
  type WavAudio,
  type WavLimits,
  WHISPER_SAMPLE_RATE,
} from "./wav";
export {
  type WhisperDtype,
  type WhisperOptions,
  type WhisperState,
  type WhisperStatus,
  WhisperTranscriber,
} from "./whisper-transcriber";
