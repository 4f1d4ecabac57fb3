// Shared test helpers: fixtures, a WAV writer for every layout the decoder must read,
// signal generators and a frequency estimate.
import { ensureWhisperModel, DEFAULT_MODEL_CACHE, TEST_MODEL } from "../support/tiny-whisper/generate";

export { fixture } from "../support/fixtures.ts";

export type WavLayout =
  | { format: "pcm"; bits: 8 | 16 | 24 | 32 }
  | { format: "float"; bits: 32 | 64 }
  | { format: "extensible-pcm"; bits: 16 | 24 | 32 }
  | { format: "extensible-float"; bits: 32 };

/** Writes `channels` (one Float32Array each) as a WAV file; `extraChunks` go before "data". */
export function writeWav(
  channels: Float32Array[],
  sampleRate: number,
  layout: WavLayout,
  extraChunks: { id: string; body: Uint8Array }[] = [],
): Uint8Array {
  const frames = channels[0]?.length ?? 0;
  const bytesPerSample = layout.bits / 8;
  const blockAlign = bytesPerSample * channels.length;
  const extensible = layout.format.startsWith("extensible");
  const isFloat = layout.format.endsWith("float");
  const fmtSize = extensible ? 40 : 16;
  const extraSize = extraChunks.reduce((n, c) => n + 8 + c.body.length + (c.body.length % 2), 0);
  const dataSize = frames * blockAlign;
  const total = 12 + 8 + fmtSize + extraSize + 8 + dataSize;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let o = 0;
  const ascii = (text: string) => {
    for (const ch of text) bytes[o++] = ch.charCodeAt(0);
  };
  const u16 = (v: number) => {
    view.setUint16(o, v, true);
    o += 2;
  };
  const u32 = (v: number) => {
    view.setUint32(o, v, true);
    o += 4;
  };
  ascii("RIFF");
  u32(total - 8);
  ascii("WAVE");
  ascii("fmt ");
  u32(fmtSize);
  u16(extensible ? 0xfffe : isFloat ? 3 : 1);
  u16(channels.length);
  u32(sampleRate);
  u32(sampleRate * blockAlign);
  u16(blockAlign);
  u16(layout.bits);
  if (extensible) {
    u16(22); // cbSize
    u16(layout.bits); // valid bits
    u32(channels.length === 2 ? 3 : 4); // channel mask
    u16(isFloat ? 3 : 1); // sub-format GUID: format tag, then the fixed KSDATAFORMAT suffix
    bytes.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], o);
    o += 14;
  }
  for (const chunk of extraChunks) {
    ascii(chunk.id);
    u32(chunk.body.length);
    bytes.set(chunk.body, o);
    o += chunk.body.length + (chunk.body.length % 2);
  }
  ascii("data");
  u32(dataSize);
  for (let f = 0; f < frames; f++) {
    for (const channel of channels) {
      const s = Math.max(-1, Math.min(1, channel[f] as number));
      if (isFloat && layout.bits === 32) view.setFloat32(o, s, true);
      else if (isFloat) view.setFloat64(o, s, true);
      else if (layout.bits === 8) view.setUint8(o, Math.round(s * 127) + 128);
      else if (layout.bits === 16) view.setInt16(o, Math.round(s * 32767), true);
      else if (layout.bits === 24) {
        const v = Math.round(s * 8388607);
        view.setUint8(o, v & 0xff);
        view.setUint8(o + 1, (v >> 8) & 0xff);
        view.setUint8(o + 2, (v >> 16) & 0xff);
      } else view.setInt32(o, Math.round(s * 2147483647), true);
      o += bytesPerSample;
    }
  }
  return bytes;
}

export function sine(frequency: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return out;
}

/** Deterministic white noise in [-amplitude, amplitude]. */
export function noise(length: number, amplitude: number, seed = 1): Float32Array {
  let state = seed;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 4294967296 - 0.5) * 2 * amplitude;
  }
  return out;
}

/** Frequency from rising zero crossings, interpolated between samples. */
export function zeroCrossingFrequency(samples: Float32Array, sampleRate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as number;
    const b = samples[i] as number;
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  const first = crossings[0] as number;
  const last = crossings[crossings.length - 1] as number;
  return ((crossings.length - 1) * sampleRate) / (last - first);
}

/** Magnitude of one DFT bin at `frequency`, normalised so a full-scale sine gives ~0.5. */
export function toneLevel(samples: Float32Array, sampleRate: number, frequency: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    const phase = (2 * Math.PI * frequency * i) / sampleRate;
    re += (samples[i] as number) * Math.cos(phase);
    im += (samples[i] as number) * Math.sin(phase);
  }
  return Math.hypot(re, im) / samples.length;
}

/** The small random Whisper model, generated once and cached under node_modules/.cache. */
export function tinyWhisperModel(): Promise<string> {
  return ensureWhisperModel(TEST_MODEL, DEFAULT_MODEL_CACHE);
}
