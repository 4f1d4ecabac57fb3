// Converts compressed audio (ogg/opus, mp3, m4a, webm, flac, …) to 16 kHz mono through the
// ffmpeg command line tool, when it is installed. Without it, such uploads are answered 415.
// The length of compressed audio is only known once decoded, so what ffmpeg writes is read
// up to the duration limit and no further: longer audio is refused, as for WAV.
import { randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcm16InWorker } from "./audio-thread";
import { AudioDecodeError, UnsupportedAudioError } from "./errors";
import { rememberVoiceActivity } from "./voice-activity";
import { describeDuration, MAX_AUDIO_SECONDS, WHISPER_SAMPLE_RATE } from "./wav";

export interface FfmpegOptions {
  /** The ffmpeg executable: a name looked up in PATH or a path; default "ffmpeg". */
  ffmpegPath?: string;
  /** Kill ffmpeg after this long; default 30 000 ms. */
  timeoutMs?: number;
  /** Refuse audio longer than this (AudioDecodeError), bounding memory and work; default 600 s. */
  maxSeconds?: number;
}

const availability = new Map<string, Promise<boolean>>();

/** Whether `ffmpegPath` runs; checked once per path, then cached. */
export function isFfmpegAvailable(ffmpegPath = "ffmpeg"): Promise<boolean> {
  let known = availability.get(ffmpegPath);
  if (!known) {
    known = (async () => {
      try {
        const proc = Bun.spawn([ffmpegPath, "-hide_banner", "-version"], { stdout: "ignore", stderr: "ignore" });
        return (await proc.exited) === 0;
      } catch {
        return false; // not found or not executable
      }
    })();
    availability.set(ffmpegPath, known);
  }
  return known;
}

/**
 * MP4/M4A files usually keep their index (moov) after the audio, which ffmpeg cannot reach
 * on a pipe once the file outgrows its read buffer; those go through a temporary file.
 */
function needsSeekableInput(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === "ftyp";
}

/** Codecs pad their last frame (mp3 and aac by up to ~50 ms): that much over the limit still counts as within it. */
const PADDING_SECONDS = 0.1;

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join(" | ");
}

/** Decodes any container ffmpeg understands to mono float samples at 16 kHz. */
export async function decodeWithFfmpeg(bytes: Uint8Array, options: FfmpegOptions = {}): Promise<Float32Array> {
  const { ffmpegPath = "ffmpeg", timeoutMs = 30_000, maxSeconds = MAX_AUDIO_SECONDS } = options;
  if (!(await isFfmpegAvailable(ffmpegPath))) {
    throw new UnsupportedAudioError(
      `this audio format needs ffmpeg, which is not installed (looked for "${ffmpegPath}"); ` +
        "send PCM WAV, or install ffmpeg on the server",
    );
  }

  const maxBytes = Math.ceil((maxSeconds + PADDING_SECONDS) * WHISPER_SAMPLE_RATE) * 2;
  const tempFile = needsSeekableInput(bytes) ? join(tmpdir(), `aiui-audio-${randomUUID()}.m4a`) : null;
  if (tempFile) await writeFile(tempFile, bytes);
  try {
    const proc = Bun.spawn(
      [
        ffmpegPath,
        ...["-hide_banner", "-loglevel", "error", "-nostdin"],
        ...["-i", tempFile ?? "pipe:0"],
        // A second past the limit: enough to tell "too long" from "just fits", then ffmpeg stops.
        ...["-vn", "-t", String(maxSeconds + 1)],
        ...["-f", "s16le", "-acodec", "pcm_s16le", "-ar", String(WHISPER_SAMPLE_RATE), "-ac", "1", "pipe:1"],
      ],
      { stdin: tempFile ? "ignore" : bytes, stdout: "pipe", stderr: "pipe" },
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill();
    }, timeoutMs);
    const chunks: Uint8Array[] = [];
    let received = 0;
    let tooLong = false;
    const readOutput = async () => {
      for await (const chunk of proc.stdout) {
        received += chunk.byteLength;
        if (received > maxBytes) {
          tooLong = true;
          proc.kill();
          break;
        }
        chunks.push(chunk);
      }
    };
    const [, errors, exitCode] = await Promise.all([readOutput(), new Response(proc.stderr).text(), proc.exited]).finally(() =>
      clearTimeout(timer),
    );

    if (tooLong) throw new AudioDecodeError(`the recording is longer than the limit of ${describeDuration(maxSeconds)}`);
    if (timedOut) throw new AudioDecodeError(`ffmpeg did not finish decoding within ${timeoutMs} ms`);
    if (exitCode !== 0) {
      // ffmpeg names its input; the client sent "the upload", not a file on this server.
      const reason = lastLines(tempFile ? errors.replaceAll(tempFile, "the upload") : errors.replaceAll("pipe:0", "the upload"), 3);
      throw new AudioDecodeError(`ffmpeg could not decode the audio: ${reason || `exit code ${exitCode}`}`);
    }
    if (received < 2) throw new AudioDecodeError("ffmpeg found no audio in the upload");
    const { samples, activity } = await pcm16InWorker(chunks);
    rememberVoiceActivity(samples, activity);
    return samples;
  } finally {
    if (tempFile) await rm(tempFile, { force: true });
  }
}
