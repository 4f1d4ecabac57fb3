// Decodes, resamples and encodes audio off the request thread (see audio-thread.ts). Jobs
// run one at a time, in arrival order. Every limit is checked inside readWav before any work
// is done, so the largest job is a full 25 MB upload: ~2.6 s of CPU for 48 kHz 8-bit audio
// on a 2-core machine, while a refused header costs microseconds.
import type { FromAudioWorker, ToAudioWorker } from "./audio-protocol";
import { measureVoiceActivity } from "./voice-activity";
import { decodeWav, encodeWav, WHISPER_SAMPLE_RATE } from "./wav";

declare const self: Worker;

function reply(message: FromAudioWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Little-endian 16-bit PCM in arbitrary pieces (a sample may straddle two) → floats. */
function pcm16ToSamples(chunks: Uint8Array[]): Float32Array {
  const total = chunks.reduce((n, chunk) => n + chunk.byteLength, 0);
  const bytes = new Uint8Array(total - (total % 2));
  let offset = 0;
  for (const chunk of chunks) {
    const room = bytes.length - offset;
    bytes.set(room < chunk.byteLength ? chunk.subarray(0, room) : chunk, offset);
    offset += Math.min(room, chunk.byteLength);
  }
  const ints = new Int16Array(bytes.buffer);
  const samples = new Float32Array(ints.length);
  for (let i = 0; i < ints.length; i++) samples[i] = (ints[i] as number) / 32768;
  return samples;
}

function replySamples(id: number, samples: Float32Array, withWav = false): void {
  // Measured here while the samples are at hand: the route's silence check then costs nothing.
  const activity = measureVoiceActivity(samples);
  // Encoded in the same trip when asked: a second round trip per request cost more than the encoding.
  const wav = withWav ? encodeWav(samples, WHISPER_SAMPLE_RATE) : undefined;
  reply({ id, type: "samples", samples, activity, ...(wav ? { wav } : {}) }, wav ? [samples.buffer, wav.buffer] : [samples.buffer]);
}

self.onmessage = (event: MessageEvent<ToAudioWorker>) => {
  const job = event.data;
  try {
    switch (job.type) {
      case "decode-wav": {
        const samples = decodeWav(job.bytes, WHISPER_SAMPLE_RATE, { maxSeconds: job.maxSeconds });
        // Equal rates hand back readWav's own array, which never shares its buffer.
        replySamples(job.id, samples, job.withWav);
        break;
      }
      case "pcm16":
        replySamples(job.id, pcm16ToSamples(job.chunks));
        break;
      case "encode-wav": {
        const wav = encodeWav(job.samples, job.sampleRate);
        reply({ id: job.id, type: "wav", wav }, [wav.buffer]);
        break;
      }
    }
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    reply({ id: job.id, type: "failed", name, message });
  }
};
