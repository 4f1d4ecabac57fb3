import { describe, expect, test } from "bun:test";
import { isSilent, measureVoiceActivity } from "../../server/src/speech/voice-activity";
import { decodeWav } from "../../server/src/speech/wav";
import { fixture, noise, writeWav } from "./helpers";

describe("isSilent", () => {
  test("digital silence and empty clips are silent", () => {
    expect(isSilent(new Float32Array(16000))).toBe(true);
    expect(isSilent(new Float32Array(0))).toBe(true);
  });

  test("low background noise is silent", () => {
    expect(isSilent(noise(32000, 0.003))).toBe(true); // about -55 dBFS
  });

  test("steady hiss above the absolute threshold is still silent (no rise above its floor)", () => {
    expect(isSilent(noise(32000, 0.03))).toBe(true); // about -35 dBFS, like a noisy 8-bit mic
  });

  test("a DC offset alone is silent", () => {
    expect(isSilent(new Float32Array(16000).fill(0.2))).toBe(true);
  });

  test("8-bit silence as the Noa app would send it is silent", async () => {
    const quiet = new Float32Array(16000).map((_, i) => (i % 3 === 0 ? 1 / 128 : 0));
    const bytes = writeWav([quiet], 8000, { format: "pcm", bits: 8 });
    expect(isSilent(decodeWav(bytes))).toBe(true);
  });

  test("the spoken fixtures are not silent", async () => {
    for (const name of ["noa-app-request-audio.wav", "whats-the-capital-of-france.16k.wav"]) {
      const samples = decodeWav(await fixture(name));
      expect(isSilent(samples)).toBe(false);
      const activity = measureVoiceActivity(samples);
      expect(activity.voicedMs).toBeGreaterThan(500);
      expect(activity.peakDb).toBeGreaterThan(-20);
    }
  });

  test("speech surrounded by silence is found", async () => {
    const speech = decodeWav(await fixture("whats-the-capital-of-france.16k.wav"));
    const padded = new Float32Array(16000 * 5);
    padded.set(speech.subarray(8000, 12000), 16000 * 2); // a quarter second of speech
    expect(isSilent(padded)).toBe(false);
  });

  test("thresholds are adjustable", async () => {
    const samples = decodeWav(await fixture("noa-app-request-audio.wav"));
    expect(isSilent(samples, { minVoicedMs: 10_000 })).toBe(true);
    expect(isSilent(samples, { thresholdDb: -5 })).toBe(true);
  });
});
