// Energy-based voice activity check, so a route can skip the model for silent clips (the Noa
// app uploads whatever the glasses recorded, often nothing). Whisper tends to invent text on
// silence, so skipping is also more correct, not only cheaper.
//
// A 30 ms frame counts as voiced when its level (DC removed) is above an absolute threshold
// AND clearly above the clip's own noise floor: steady background noise, even loud-ish hiss
// from an 8-bit microphone, is then silent, while speech, which rises and falls, is not.

export interface VoiceActivityOptions {
  /** Sample rate of `samples`; default 16000. */
  sampleRate?: number;
  /** Frames quieter than this (dBFS) are never voiced; default -40. */
  thresholdDb?: number;
  /** Voiced frames must also be this far above the noise floor (dB); default 6. */
  marginDb?: number;
  /** Total voiced time needed to call the clip not silent; default 90 ms. */
  minVoicedMs?: number;
}

export interface VoiceActivity {
  voicedMs: number;
  /** Level of the loudest frame, dBFS. */
  peakDb: number;
  /** Level of the quietest tenth of frames, dBFS. */
  noiseFloorDb: number;
}

const FRAME_MS = 30;
const FLOOR_DB = -120;
const DEFAULTS = { sampleRate: 16000, thresholdDb: -40, marginDb: 6 };

/**
 * Activity measured at default settings by the audio worker as it decoded these samples.
 * The route asks isSilent right after decodeAudio, and measuring 10 minutes of audio here
 * would hold the request thread for ~25 ms.
 */
const measuredOffThread = new WeakMap<Float32Array, VoiceActivity>();

/** Records what the audio worker measured for samples it decoded (see decode-audio.ts). */
export function rememberVoiceActivity(samples: Float32Array, activity: VoiceActivity): void {
  measuredOffThread.set(samples, activity);
}

function frameLevelsDb(samples: Float32Array, frameLength: number): number[] {
  const levels: number[] = [];
  for (let start = 0; start + frameLength <= samples.length; start += frameLength) {
    let mean = 0;
    for (let i = start; i < start + frameLength; i++) mean += samples[i] as number;
    mean /= frameLength;
    let energy = 0;
    for (let i = start; i < start + frameLength; i++) energy += ((samples[i] as number) - mean) ** 2;
    levels.push(Math.max(FLOOR_DB, 10 * Math.log10(energy / frameLength + 1e-20)));
  }
  return levels;
}

export function measureVoiceActivity(samples: Float32Array, options: VoiceActivityOptions = {}): VoiceActivity {
  const { sampleRate = DEFAULTS.sampleRate, thresholdDb = DEFAULTS.thresholdDb, marginDb = DEFAULTS.marginDb } = options;
  const atDefaults = sampleRate === DEFAULTS.sampleRate && thresholdDb === DEFAULTS.thresholdDb && marginDb === DEFAULTS.marginDb;
  const known = atDefaults ? measuredOffThread.get(samples) : undefined;
  if (known) return known;
  const frameLength = Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000));
  const levels = frameLevelsDb(samples, frameLength);
  if (levels.length === 0) return { voicedMs: 0, peakDb: FLOOR_DB, noiseFloorDb: FLOOR_DB };
  const sorted = [...levels].sort((a, b) => a - b);
  const noiseFloorDb = sorted[Math.floor((sorted.length - 1) * 0.1)] as number;
  const gate = Math.max(thresholdDb, noiseFloorDb + marginDb);
  const voicedFrames = levels.filter((db) => db >= gate).length;
  return {
    voicedMs: (voicedFrames * frameLength * 1000) / sampleRate,
    peakDb: sorted[sorted.length - 1] as number,
    noiseFloorDb,
  };
}

/** True when the clip holds no speech-like sound worth transcribing. */
export function isSilent(samples: Float32Array, options: VoiceActivityOptions = {}): boolean {
  return measureVoiceActivity(samples, options).voicedMs < (options.minVoicedMs ?? 90);
}
