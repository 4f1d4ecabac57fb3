// Builds the configured speech-to-text backend once at start-up (server/src/main.ts).
import type { Config } from "../env.ts";
import { OpenAITranscriber } from "./openai-transcriber.ts";
import type { SpeechToText } from "./types.ts";
import { WhisperTranscriber } from "./whisper-transcriber.ts";

export function speechFromConfig(speech: Config["speech"], log: (line: string) => void): SpeechToText {
  if (speech.backend === "openai") {
    return new OpenAITranscriber({
      baseURL: speech.openai.baseUrl!,
      apiKey: speech.openai.apiKey ?? "unused",
      model: speech.openai.model,
    });
  }
  return new WhisperTranscriber({
    model: speech.whisper.model,
    cacheDir: speech.whisper.cacheDir,
    dtype: speech.whisper.dtype,
    allowRemote: speech.whisper.allowRemote,
    preload: speech.whisper.preload,
    setupHint:
      (speech.whisper.allowRemote
        ? "Check the network, or set WHISPER_MODEL to a folder holding the model's ONNX files."
        : "Set WHISPER_MODEL to a folder holding the model's ONNX files, or set WHISPER_ALLOW_REMOTE=true to download it once.") +
      ` WHISPER_DTYPE=${speech.whisper.dtype} needs the matching files (q8: *_quantized.onnx; fp32: the plain ones).`,
    log,
  });
}
