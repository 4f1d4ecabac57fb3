// Decoding runs in a worker: the request thread stays free while a long recording is
// resampled, the caller's bytes are left alone, and the worker never keeps a process alive.
import { describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { decodeAudio } from "../../server/src/speech/decode-audio";
import { measureVoiceActivity } from "../../server/src/speech/voice-activity";
import { fixture, sine, writeWav } from "./helpers";

const MISSING_FFMPEG = "/nonexistent/bin/ffmpeg";

/** Runs `work` while a 1 ms interval ticks; returns the longest gap between ticks. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(ticker);
  }
  // A synchronous stall lets no tick run at all: it shows as the gap up to now.
  return Math.max(worst, performance.now() - last);
}

describe("decodeAudio off the request thread", () => {
  test("4 minutes of 44.1 kHz audio decode while timers keep firing", async () => {
    // 10.6 M samples through the 160/441 polyphase filter: about a second of CPU.
    const long = writeWav([sine(440, 44100, 240, 0.3)], 44100, { format: "pcm", bits: 8 });
    let samples: Float32Array = new Float32Array(0);
    const started = performance.now();
    const stall = await longestStall(async () => {
      samples = await decodeAudio(long, { ffmpegPath: MISSING_FFMPEG });
    });
    const busyMs = performance.now() - started;
    expect(samples.length).toBe(240 * 16000);
    // On the request thread this was one stall as long as the whole decode (~430 ms idle).
    // Now the longest is timer jitter (~5 ms idle); a loaded machine may still deschedule us.
    expect(stall).toBeLessThan(Math.max(100, busyMs / 4));
  });

  test("the caller's bytes are unchanged and still usable (the worker gets a copy)", async () => {
    const bytes = await fixture("noa-app-request-audio.wav");
    const before = bytes.slice();
    const first = await decodeAudio(bytes);
    expect(bytes.byteLength).toBe(before.byteLength);
    expect(bytes).toEqual(before);
    expect(await decodeAudio(bytes)).toEqual(first);
  });

  test("many decodes at once each get their own answer", async () => {
    const rates = [4000, 8000, 11025, 16000, 22050, 44100, 48000, 96000];
    const results = await Promise.all(rates.map((rate) => decodeAudio(writeWav([sine(440, rate, rate / 8000)], rate, { format: "pcm", bits: 16 }))));
    expect(results.map((samples) => samples.length)).toEqual(rates.map((rate) => (rate / 8000) * 16000));
  });

  test("voice activity measured by the worker is what measuring here gives", async () => {
    const speech = await decodeAudio(await fixture("noa-app-request-audio.wav"));
    const silence = await decodeAudio(writeWav([new Float32Array(8000)], 8000, { format: "pcm", bits: 8 }));
    for (const samples of [speech, silence]) {
      expect(measureVoiceActivity(samples)).toEqual(measureVoiceActivity(samples.slice()));
    }
    // Other settings are measured afresh.
    expect(measureVoiceActivity(speech, { thresholdDb: 0 }).voicedMs).toBe(0);
  });

  test("a script that decodes audio exits by itself: the idle worker holds nothing open", async () => {
    const module = fileURLToPath(new URL("../../server/src/speech/index.ts", import.meta.url));
    const wav = fileURLToPath(new URL("../fixtures/noa-app-request-audio.wav", import.meta.url));
    const script = `import { decodeAudio } from ${JSON.stringify(module)};
      const samples = await decodeAudio(new Uint8Array(await Bun.file(${JSON.stringify(wav)}).arrayBuffer()));
      console.log(samples.length);`;
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const killer = setTimeout(() => child.kill(), 10_000);
    const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    clearTimeout(killer);
    expect(out.trim()).toBe("29014");
    expect(code).toBe(0);
  });
});
