// What the decoder refuses before doing any work: sample rates no microphone records at,
// absurd channel counts and audio longer than the limit. And what it accepts that it used
// to refuse: the Noa app's empty capture (a header with no data) is zero samples of silence.
import { describe, expect, test } from "bun:test";
import { decodeAudio } from "../../server/src/speech/decode-audio";
import { AudioDecodeError } from "../../server/src/speech/errors";
import { isSilent } from "../../server/src/speech/voice-activity";
import { decodeWav, MAX_AUDIO_SECONDS, readWav } from "../../server/src/speech/wav";
import { fixture, sine, writeWav } from "./helpers";

const MISSING_FFMPEG = "/nonexistent/bin/ffmpeg";

/** `seconds` of a quiet tone at `rate`, 8-bit mono like the Noa app's uploads. */
function wavAt(rate: number, seconds: number): Uint8Array {
  return writeWav([sine(Math.min(440, rate / 4), rate, seconds, 0.3)], rate, { format: "pcm", bits: 8 });
}

/** A header declaring `rate` with `bytes` of 8-bit data after it (what a fuzzer sends). */
function declaredRate(rate: number, bytes: number): Uint8Array {
  const wav = writeWav([new Float32Array(bytes)], 8000, { format: "pcm", bits: 8 });
  const view = new DataView(wav.buffer);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate, true);
  return wav;
}

async function refusal(bytes: Uint8Array, maxSeconds?: number): Promise<AudioDecodeError> {
  const error = await decodeAudio(bytes, { ffmpegPath: MISSING_FFMPEG, maxSeconds }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AudioDecodeError);
  return error as AudioDecodeError;
}

describe("sample rates", () => {
  for (const [rate, shown] of [
    [1, "1"],
    [24, "24"],
    [3999, "3,999"],
    [192001, "192,001"],
    [768000, "768,000"],
  ] as const) {
    test(`${shown} Hz is refused with a sentence naming the rate and the accepted range`, async () => {
      const error = await refusal(declaredRate(rate, 20_000));
      expect(error.message).toBe(`WAV header declares a sample rate of ${shown} Hz; accepted rates are 4,000 to 192,000 Hz`);
    });
  }

  for (const rate of [4000, 8000, 44100, 192000]) {
    test(`${rate} Hz is decoded to 16 kHz`, async () => {
      const samples = await decodeAudio(wavAt(rate, 0.5), { ffmpegPath: MISSING_FFMPEG });
      expect(samples.length).toBe(8000);
    });
  }

  test("a 1 Hz header is refused at once, not resampled into 16,000 samples per byte", async () => {
    // Before, 20 KB at 1 Hz took 46 s and 1.5 GB; the refusal reads only the header.
    const started = performance.now();
    await refusal(declaredRate(1, 20_000));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("duration", () => {
  test("the limit is 10 minutes: exactly 10 decode, one frame more is refused; the message names both lengths", async () => {
    expect(MAX_AUDIO_SECONDS).toBe(600);
    const rate = 4000;
    const atLimit = writeWav([new Float32Array(MAX_AUDIO_SECONDS * rate)], rate, { format: "pcm", bits: 8 });
    expect(readWav(atLimit).samples.length).toBe(MAX_AUDIO_SECONDS * rate);
    const oneMore = writeWav([new Float32Array(MAX_AUDIO_SECONDS * rate + 1)], rate, { format: "pcm", bits: 8 });
    expect(() => readWav(oneMore)).toThrow(AudioDecodeError);
    const over = writeWav([new Float32Array(11 * 60 * rate)], rate, { format: "pcm", bits: 8 });
    const error = await refusal(over);
    expect(error.message).toBe("the recording is 11 minutes long (4,000 Hz per its header); the limit is 10 minutes");
  });

  test("an upload-sized (25 MiB) recording at 4 kHz, 109 minutes, is refused without reading its samples", () => {
    // 25 MB of 8-bit 4 kHz audio would have become 100 M samples at 16 kHz (400 MB).
    const long = declaredRate(4000, 25 * 1024 * 1024);
    const started = performance.now();
    expect(() => decodeWav(long)).toThrow("the recording is 109.2 minutes long (4,000 Hz per its header); the limit is 10 minutes");
    expect(performance.now() - started).toBeLessThan(50);
  });

  test("maxSeconds lowers the limit for one call", async () => {
    const error = await refusal(wavAt(8000, 3), 2);
    expect(error.message).toContain("the limit is 2 seconds");
    expect((await decodeAudio(wavAt(8000, 3), { maxSeconds: 4 })).length).toBe(48000);
  });

  test("a data size declared far past the end of a short file costs only what is there", async () => {
    const short = wavAt(8000, 1);
    new DataView(short.buffer).setUint32(40, 0xfffffff0, true);
    expect((await decodeAudio(short)).length).toBe(16000);
  });
});

describe("channels", () => {
  test("more than 32 channels is refused", async () => {
    const wav = writeWav([new Float32Array(10)], 8000, { format: "pcm", bits: 8 });
    const view = new DataView(wav.buffer);
    view.setUint16(22, 33, true);
    view.setUint16(32, 33, true);
    expect((await refusal(wav)).message).toBe("WAV header says 33 channels; at most 32 are accepted");
  });
});

describe("the Noa app's empty capture", () => {
  // lib/util/bytes_to_wav.dart: RIFF size 36, data size 0, nothing after the header.
  const empty = writeWav([new Float32Array(0)], 8000, { format: "pcm", bits: 8 });

  test("is the app's 44-byte header", async () => {
    const app = await fixture("noa-app-request-audio.wav");
    expect(empty.length).toBe(44);
    expect(empty.subarray(0, 40)).toEqual(
      (() => {
        const header = app.slice(0, 40);
        new DataView(header.buffer).setUint32(4, 36, true);
        return header;
      })(),
    );
  });

  test("decodes to zero samples, which are silence", async () => {
    const samples = await decodeAudio(empty, { ffmpegPath: MISSING_FFMPEG });
    expect(samples.length).toBe(0);
    expect(isSilent(samples)).toBe(true);
  });

  test("a header that declares data it does not carry is still a truncated file", async () => {
    const truncated = wavAt(8000, 0.1).slice(0, 44);
    expect((await refusal(truncated)).message).toMatch(/no complete audio frame/);
  });
});
