// decodeAudio and the ffmpeg path. Conversions run when ffmpeg is installed; the 415 path
// (UnsupportedAudioError) is always checked by pointing the module at a missing binary.
import { describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AudioContainer, decodeAudio, sniffAudioContainer } from "../../server/src/speech/decode-audio";
import { AudioDecodeError, UnsupportedAudioError } from "../../server/src/speech/errors";
import { decodeWithFfmpeg, isFfmpegAvailable } from "../../server/src/speech/ffmpeg";
import { decodeWav } from "../../server/src/speech/wav";
import { shouldRunWith } from "../support/optional-tools.ts";
import { fixture, sine, toneLevel, writeWav, zeroCrossingFrequency } from "./helpers";

const MISSING_FFMPEG = "/nonexistent/bin/ffmpeg";
const hasFfmpeg = shouldRunWith("ffmpeg", await isFfmpegAvailable(), "apt-get install -y ffmpeg");

/** Encodes a WAV with the real ffmpeg into another container (through files: mp4 needs seeking). */
async function convert(wav: Uint8Array, args: string[], extension: string): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), "aiui-ffmpeg-test-"));
  try {
    const input = join(dir, "input.wav");
    const output = join(dir, `output.${extension}`);
    await Bun.write(input, wav);
    const proc = Bun.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", input, ...args, output], {
      stdout: "ignore",
      stderr: "pipe",
    });
    const [errors, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`test conversion failed: ${errors}`);
    return await Bun.file(output).bytes();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const formats: { name: string; container: AudioContainer; args: string[] }[] = [
  { name: "ogg/opus", container: "ogg", args: ["-c:a", "libopus"] },
  { name: "webm/opus", container: "webm", args: ["-c:a", "libopus"] },
  { name: "mp3", container: "mp3", args: ["-c:a", "libmp3lame"] },
  { name: "flac", container: "flac", args: ["-c:a", "flac"] },
  { name: "m4a/aac", container: "mp4", args: ["-c:a", "aac"] },
];
const extensionOf = (container: AudioContainer) => (container === "mp4" ? "m4a" : container);

describe("without ffmpeg (answer 415)", () => {
  test("a missing binary is detected, and the result is cached", async () => {
    expect(await isFfmpegAvailable(MISSING_FFMPEG)).toBe(false);
    expect(isFfmpegAvailable(MISSING_FFMPEG)).toBe(isFfmpegAvailable(MISSING_FFMPEG));
  });

  test("compressed audio is rejected with UnsupportedAudioError", async () => {
    const ogg = new Uint8Array([...new TextEncoder().encode("OggS"), ...new Uint8Array(60)]);
    const error = await decodeAudio(ogg, { ffmpegPath: MISSING_FFMPEG }).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedAudioError);
    expect(error.message).toContain("ffmpeg");
  });

  test("a WAV codec we don't decode natively is also 415", async () => {
    const alaw = writeWav([sine(440, 8000, 0.2)], 8000, { format: "pcm", bits: 8 });
    new DataView(alaw.buffer).setUint16(20, 6, true);
    await expect(decodeAudio(alaw, { ffmpegPath: MISSING_FFMPEG })).rejects.toBeInstanceOf(UnsupportedAudioError);
  });

  test("PCM WAV needs no ffmpeg", async () => {
    const samples = await decodeAudio(await fixture("noa-app-request-audio.wav"), { ffmpegPath: MISSING_FFMPEG });
    expect(samples.length).toBe(29014);
  });

  test("empty and truncated uploads are decode errors, not 415", async () => {
    await expect(decodeAudio(new Uint8Array(0))).rejects.toBeInstanceOf(AudioDecodeError);
    const truncated = (await fixture("noa-app-request-audio.wav")).subarray(0, 30);
    await expect(decodeAudio(truncated, { ffmpegPath: MISSING_FFMPEG })).rejects.toBeInstanceOf(AudioDecodeError);
  });
});

describe.if(hasFfmpeg)("with ffmpeg", () => {
  const tone = writeWav([sine(440, 44100, 2, 0.5)], 44100, { format: "pcm", bits: 16 });

  for (const { name, container, args } of formats) {
    test(`${name} → 16 kHz mono, 440 Hz kept`, async () => {
      const encoded = await convert(tone, args, extensionOf(container));
      expect(sniffAudioContainer(encoded)).toBe(container);
      const samples = await decodeAudio(encoded);
      expect(samples.length / 16000).toBeGreaterThan(1.9);
      expect(samples.length / 16000).toBeLessThan(2.2);
      const middle = samples.subarray(8000, 24000);
      expect(zeroCrossingFrequency(middle, 16000)).toBeCloseTo(440, 0);
      expect(toneLevel(middle, 16000, 440)).toBeGreaterThan(0.2);
    });
  }

  test("m4a with its index after the audio, which ffmpeg cannot read from a pipe", async () => {
    const long = writeWav([sine(440, 16000, 30, 0.5)], 16000, { format: "pcm", bits: 16 });
    const m4a = await convert(long, ["-c:a", "aac"], "m4a");
    const piped = Bun.spawn(["ffmpeg", "-loglevel", "quiet", "-i", "pipe:0", "-f", "s16le", "pipe:1"], {
      stdin: m4a,
      stdout: "pipe",
    });
    const [pipedPcm, pipedExit] = await Promise.all([new Response(piped.stdout).arrayBuffer(), piped.exited]);
    expect(pipedExit !== 0 || pipedPcm.byteLength === 0).toBe(true);
    const samples = await decodeAudio(m4a);
    expect(samples.length / 16000).toBeCloseTo(30, 0);
  });

  test("stereo 48 kHz ogg is mixed down and resampled", async () => {
    const stereo = writeWav([sine(440, 48000, 1), sine(440, 48000, 1)], 48000, { format: "pcm", bits: 16 });
    const samples = await decodeAudio(await convert(stereo, ["-c:a", "libopus"], "ogg"));
    expect(samples.length / 16000).toBeCloseTo(1, 1);
  });

  test("WAV codecs we don't decode natively (A-law) fall back to ffmpeg", async () => {
    const speech = await fixture("whats-the-capital-of-france.16k.wav");
    const alaw = await convert(speech, ["-c:a", "pcm_alaw"], "wav");
    expect(() => decodeWav(alaw)).toThrow(UnsupportedAudioError);
    const samples = await decodeAudio(alaw);
    expect(samples.length).toBe(decodeWav(speech).length);
  });

  test("garbage that ffmpeg cannot read is an AudioDecodeError naming ffmpeg's reason", async () => {
    const garbage = new TextEncoder().encode("this is not audio, just some text pretending to be".repeat(20));
    const error = await decodeWithFfmpeg(garbage).catch((e) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect(error.message).toMatch(/ffmpeg/);
  });

  test("ffmpeg's reason names the upload, never a path on the server (a broken m4a goes through a temp file)", async () => {
    const brokenM4a = new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode("ftypM4A "), ...new Uint8Array(400).fill(7)]);
    for (const bytes of [brokenM4a, new TextEncoder().encode("OggS but nothing after it".repeat(10))]) {
      const error = await decodeWithFfmpeg(bytes).catch((e) => e);
      expect(error).toBeInstanceOf(AudioDecodeError);
      expect(error.message).toContain("the upload");
      expect(error.message).not.toMatch(/\/tmp|aiui-audio-|pipe:/);
    }
  });

  test("audio longer than maxSeconds is refused, naming the limit; shorter audio decodes whole", async () => {
    const encoded = await convert(tone, ["-c:a", "libopus"], "ogg");
    const error = await decodeAudio(encoded, { maxSeconds: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect(error.message).toBe("the recording is longer than the limit of 1 second");
    const samples = await decodeAudio(encoded, { maxSeconds: 2 });
    expect(samples.length / 16000).toBeCloseTo(2, 1);
  });

  test("at the default 10-minute limit, 11 minutes of flac are refused", async () => {
    // flac: quick to make and to read back, so the test measures the limit, not the codec.
    const long = await convert(writeWav([new Float32Array(11 * 60 * 8000)], 8000, { format: "pcm", bits: 8 }), ["-c:a", "flac"], "flac");
    const error = await decodeAudio(long).catch((e) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect(error.message).toBe("the recording is longer than the limit of 10 minutes");
  });
});
