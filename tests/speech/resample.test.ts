import { describe, expect, test } from "bun:test";
import { resample } from "../../server/src/speech/resample";
import { noise, sine, toneLevel, zeroCrossingFrequency } from "./helpers";

describe("resample", () => {
  test("equal rates return the input untouched", () => {
    const input = sine(440, 16000, 0.1);
    expect(resample(input, 16000, 16000)).toBe(input);
  });

  for (const rate of [8000, 11025, 22050, 44100, 48000, 96000]) {
    test(`440 Hz at ${rate} Hz stays 440 Hz at 16 kHz with the same level`, () => {
      const out = resample(sine(440, rate, 1, 0.5), rate, 16000);
      expect(out.length).toBe(16000);
      expect(zeroCrossingFrequency(out, 16000)).toBeCloseTo(440, 1);
      const middle = out.subarray(500, out.length - 500);
      expect(toneLevel(middle, 16000, 440)).toBeCloseTo(0.25, 2); // amplitude 0.5 → bin 0.25
    });
  }

  test("a rate with no small rational ratio (the direct method) agrees with the polyphase one", () => {
    // 44100.25 Hz has no ratio with 16 kHz under 1024 phases; 44100 Hz has 160/441.
    const input = sine(440, 44100, 1, 0.5);
    const direct = resample(input, 44100.25, 16000);
    const polyphase = resample(input, 44100, 16000);
    expect(zeroCrossingFrequency(direct, 16000)).toBeCloseTo(440, 0);
    let worst = 0;
    for (let i = 500; i < 15000; i++) worst = Math.max(worst, Math.abs((direct[i] as number) - (polyphase[i] as number)));
    expect(worst).toBeLessThan(0.01);
  });

  test("downsampling removes content above the new Nyquist instead of aliasing it", () => {
    // 12 kHz at 44.1 kHz would fold to 4 kHz at 16 kHz without a low-pass.
    const out = resample(sine(12000, 44100, 1, 0.5), 44100, 16000);
    const middle = out.subarray(500, out.length - 500);
    expect(toneLevel(middle, 16000, 4000)).toBeLessThan(0.25 * 1e-3); // < -60 dB
  });

  test("passband edge (7 kHz) survives 48 → 16 kHz", () => {
    const out = resample(sine(7000, 48000, 1, 0.5), 48000, 16000);
    const middle = out.subarray(500, out.length - 500);
    expect(toneLevel(middle, 16000, 7000)).toBeGreaterThan(0.25 * 0.8);
  });

  test("upsampling 8 → 16 kHz interpolates between the original samples", () => {
    const input = sine(1000, 8000, 0.5, 0.5);
    const out = resample(input, 8000, 16000);
    expect(out.length).toBe(input.length * 2);
    for (let i = 200; i < input.length - 200; i++) {
      expect(Math.abs((out[2 * i] as number) - (input[i] as number))).toBeLessThan(0.01);
    }
  });

  // The 2× half-band path (the Noa app's 8 kHz recordings) and the ÷3 path (48 kHz) are
  // separate loops from the general polyphase one: these pin their response.
  test("2× upsampling keeps every original sample exactly at the even positions", () => {
    const input = noise(8001, 0.5, 7);
    const out = resample(input, 8000, 16000);
    expect(out.length).toBe(16002);
    for (let i = 0; i < input.length; i++) expect(out[2 * i]).toBe(input[i] as number);
  });

  test("2× upsampling: a sweep's passband keeps its level and its mirror images are suppressed", () => {
    for (const frequency of [100, 300, 700, 1000, 1500, 2000, 2500, 3000, 3200]) {
      const out = resample(sine(frequency, 8000, 1, 0.5), 8000, 16000);
      const middle = out.subarray(500, out.length - 500);
      const passDb = 20 * Math.log10(toneLevel(middle, 16000, frequency) / 0.25);
      expect(Math.abs(passDb)).toBeLessThan(0.05);
      // Zero-stuffing leaves an image at 8 kHz − f as loud as the tone; linear interpolation
      // leaves it at −20 … −40 dB.
      expect(toneLevel(middle, 16000, 8000 - frequency)).toBeLessThan(0.25 * 3e-4); // < −70 dB
    }
  });

  test("2× upsampling agrees with the general method in the passband, with the same length", () => {
    const input = sine(1000, 8000, 1, 0.5);
    const fast = resample(input, 8000, 16000);
    const general = resample(input, 8000.000001, 16000); // not an exact ratio: the direct method
    expect(fast.length).toBe(general.length);
    let worst = 0;
    for (let i = 500; i < fast.length - 500; i++) worst = Math.max(worst, Math.abs((fast[i] as number) - (general[i] as number)));
    expect(worst).toBeLessThan(0.01);
  });

  test("÷3 decimation (48 kHz) gives the general method's samples and length", () => {
    for (const length of [48000, 48001, 48002]) {
      const input = noise(length, 0.5, 3);
      const fast = resample(input, 48000, 16000);
      const general = resample(input, 48000.000001, 16000);
      expect(fast.length).toBe(general.length);
      let worst = 0;
      for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs((fast[i] as number) - (general[i] as number)));
      expect(worst).toBeLessThan(1e-3);
    }
  });

  test("30 s of 44.1 kHz audio resamples quickly", () => {
    const input = sine(440, 44100, 30);
    const started = performance.now();
    resample(input, 44100, 16000);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
