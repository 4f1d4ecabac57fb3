import { describe, expect, test } from "bun:test";
import { AudioDecodeError, NotWavError, UnsupportedAudioError } from "../../server/src/speech/errors";
import { decodeWav, encodeWav, readWav } from "../../server/src/speech/wav";
import { fixture, sine, type WavLayout, writeWav, zeroCrossingFrequency } from "./helpers";

describe("WAV fixtures", () => {
  test("Noa app upload: 8-bit unsigned, 8 kHz, odd data size without pad byte", async () => {
    const bytes = await fixture("noa-app-request-audio.wav");
    const wav = readWav(bytes);
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 8, encoding: "pcm" });
    expect(wav.samples.length).toBe(bytes.length - 44); // every byte after the header is a sample
    const samples = decodeWav(bytes);
    expect(samples.length / 16000).toBeCloseTo(1.813, 2);
    const peak = samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(0.3);
    expect(peak).toBeLessThanOrEqual(1.05);
  });

  test("16 kHz 16-bit fixture decodes unchanged in length", async () => {
    const bytes = await fixture("whats-the-capital-of-france.16k.wav");
    const samples = decodeWav(bytes);
    expect(samples.length).toBe((bytes.length - 44) / 2);
    expect(samples.length / 16000).toBeCloseTo(1.8, 1);
  });

  test("both fixtures hold the same utterance: 8 kHz version tracks the 16 kHz one", async () => {
    const reference = decodeWav(await fixture("whats-the-capital-of-france.16k.wav"));
    const noa = decodeWav(await fixture("noa-app-request-audio.wav"));
    expect(noa.length).toBe(reference.length);
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let i = 0; i < reference.length; i++) {
      dot += (reference[i] as number) * (noa[i] as number);
      a += (reference[i] as number) ** 2;
      b += (noa[i] as number) ** 2;
    }
    expect(dot / Math.sqrt(a * b)).toBeGreaterThan(0.9);
  });
});

describe("WAV layouts", () => {
  const tone = sine(440, 44100, 0.5, 0.6);
  const layouts: WavLayout[] = [
    { format: "pcm", bits: 8 },
    { format: "pcm", bits: 16 },
    { format: "pcm", bits: 24 },
    { format: "pcm", bits: 32 },
    { format: "float", bits: 32 },
    { format: "float", bits: 64 },
    { format: "extensible-pcm", bits: 24 },
    { format: "extensible-float", bits: 32 },
  ];
  for (const layout of layouts) {
    test(`${layout.format} ${layout.bits}-bit at 44.1 kHz → 16 kHz, 440 Hz kept`, () => {
      const samples = decodeWav(writeWav([tone], 44100, layout));
      expect(samples.length).toBe(Math.round((tone.length * 16000) / 44100));
      expect(zeroCrossingFrequency(samples, 16000)).toBeCloseTo(440, 0);
      const middle = samples.subarray(1000, samples.length - 1000);
      const peak = middle.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
      expect(peak).toBeCloseTo(0.6, 1);
    });
  }

  test("raw values are scaled to [-1, 1] per encoding", () => {
    const values = new Float32Array([0, 0.5, -0.5, 1, -1]);
    for (const layout of layouts) {
      const { samples } = readWav(writeWav([values], 16000, layout));
      const tolerance = layout.bits === 8 ? 0.01 : 1e-4;
      for (const [i, v] of values.entries()) expect(Math.abs((samples[i] as number) - v)).toBeLessThan(tolerance);
    }
  });

  test("stereo is averaged to mono", () => {
    const left = new Float32Array([0.5, 0.5, 0.2, -1]);
    const right = new Float32Array([-0.5, 0.1, 0.2, -1]);
    const { samples, channels } = readWav(writeWav([left, right], 16000, { format: "pcm", bits: 16 }));
    expect(channels).toBe(2);
    expect(Array.from(samples).map((s) => Number(s.toFixed(3)))).toEqual([0, 0.3, 0.2, -1]);
  });

  test("unknown chunks before data (LIST, fact) are skipped, odd ones with their pad byte", () => {
    const bytes = writeWav([sine(440, 16000, 0.1)], 16000, { format: "pcm", bits: 16 }, [
      { id: "LIST", body: new TextEncoder().encode("INFOISFT odd") },
      { id: "fact", body: new Uint8Array(5) },
    ]);
    expect(readWav(bytes).samples.length).toBe(1600);
  });

  test("data size too large, zero (streaming writer) or too small is tolerated", () => {
    const bytes = writeWav([sine(440, 16000, 0.1)], 16000, { format: "pcm", bits: 16 });
    const dataSizeAt = bytes.length - 3200 - 4;
    const view = new DataView(bytes.buffer);
    for (const declared of [0xffffffff, 0, 100]) {
      view.setUint32(dataSizeAt, declared, true);
      expect(readWav(bytes).samples.length).toBe(1600);
    }
  });

  test("a trailing partial frame is dropped", () => {
    const bytes = writeWav([sine(440, 16000, 0.01)], 16000, { format: "pcm", bits: 16 });
    const withStrayByte = new Uint8Array(bytes.length + 1);
    withStrayByte.set(bytes);
    expect(readWav(withStrayByte).samples.length).toBe(160);
  });

  test("encodeWav writes 16-bit PCM that decodes back", () => {
    const tone = sine(1000, 16000, 0.2, 0.7);
    const decoded = decodeWav(encodeWav(tone, 16000));
    expect(decoded.length).toBe(tone.length);
    for (const [i, v] of tone.entries()) expect(Math.abs((decoded[i] as number) - v)).toBeLessThan(1e-4);
  });

  test("encodeWav clips to ±1, rounds half up and writes NaN as 0, little-endian", () => {
    const wav = encodeWav(new Float32Array([-2, -1, -0.5, 0, 0.5, 1, 2, Number.NaN, 1 / 32767]), 16000);
    const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
    const written = Array.from({ length: 9 }, (_, i) => view.getInt16(44 + i * 2, true));
    expect(written).toEqual([-32767, -32767, -16383, 0, 16384, 32767, 32767, 0, 1]);
    expect(view.getUint32(40, true)).toBe(18);
  });
});

describe("broken or foreign files", () => {
  const good = writeWav([sine(440, 16000, 0.1)], 16000, { format: "pcm", bits: 16 });

  test("not RIFF at all → NotWavError (the caller can try ffmpeg)", () => {
    const ogg = new TextEncoder().encode("OggS\0\u0002 not a wav file at all");
    expect(() => readWav(ogg)).toThrow(NotWavError);
    expect(() => readWav(new Uint8Array(0))).toThrow(NotWavError);
  });

  test("truncated header → AudioDecodeError, not NotWavError", () => {
    for (const length of [4, 11, 20, 30, 44]) {
      const error = (() => {
        try {
          readWav(good.subarray(0, length));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(AudioDecodeError);
      expect(error).not.toBeInstanceOf(NotWavError);
      expect((error as Error).message).toMatch(/truncated|no (fmt|data) chunk|no complete audio frame/);
    }
  });

  test("corrupt fmt values → AudioDecodeError with a clear message", () => {
    const zeroChannels = good.slice();
    new DataView(zeroChannels.buffer).setUint16(22, 0, true);
    expect(() => readWav(zeroChannels)).toThrow(/0 channels/);
    const zeroRate = good.slice();
    new DataView(zeroRate.buffer).setUint32(24, 0, true);
    expect(() => readWav(zeroRate)).toThrow("WAV header declares a sample rate of 0 Hz; accepted rates are 4,000 to 192,000 Hz");
    const oddBits = good.slice();
    new DataView(oddBits.buffer).setUint16(32, 3, true); // blockAlign 3 for mono: 24-bit container
    new DataView(oddBits.buffer).setUint16(20, 3, true); // but float: 24-bit float does not exist
    expect(() => readWav(oddBits)).toThrow(AudioDecodeError);
  });

  test("a codec other than PCM/float → UnsupportedAudioError (ffmpeg may decode it)", () => {
    const alaw = good.slice();
    new DataView(alaw.buffer).setUint16(20, 6, true);
    expect(() => readWav(alaw)).toThrow(UnsupportedAudioError);
  });
});
