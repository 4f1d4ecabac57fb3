// The request thread's side of audio-worker.ts: one long-lived Bun Worker, started on first
// use and shared by every request, so decoding, resampling and WAV encoding never hold the
// event loop. Buffers are transferred, not cloned; the caller's own arrays are copied into
// them in 1 MB slices with a yield between slices (a 25 MB copy in one go takes ~15 ms).
//
// The worker holds the process open only while it has work: an idle server (or a test run)
// exits normally. A worker that crashes fails its jobs and is replaced on the next one.
import type { AudioJob, FromAudioWorker } from "./audio-protocol";
import { AudioDecodeError, NotWavError, UnsupportedAudioError } from "./errors";
import type { VoiceActivity } from "./voice-activity";

const WORKER_URL = new URL("./audio-worker.ts", import.meta.url);
const COPY_SLICE_BYTES = 1 << 20;

/** Bun's Worker has ref/unref; the DOM typings this project also loads do not. */
type RefWorker = Worker & { ref(): void; unref(): void };

type Done = Exclude<FromAudioWorker, { type: "failed" }>;

interface Job {
  resolve: (message: Done) => void;
  reject: (error: Error) => void;
}

/** The worker's errors come back as the same classes, so routes map them as before. */
function rebuildError(name: string, message: string): Error {
  switch (name) {
    case "NotWavError":
      return new NotWavError(message);
    case "AudioDecodeError":
      return new AudioDecodeError(message);
    case "UnsupportedAudioError":
      return new UnsupportedAudioError(message);
    default:
      return new Error(`audio worker: ${name}: ${message}`);
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A copy a worker may own (transfer), made a slice at a time so other requests run in
 * between. Also used by WhisperTranscriber for the samples it hands to its worker.
 */
export async function copyInSlices<T extends Uint8Array<ArrayBuffer> | Float32Array<ArrayBuffer>>(
  view: Uint8Array | Float32Array,
  empty: T,
): Promise<T> {
  const step = COPY_SLICE_BYTES / view.BYTES_PER_ELEMENT;
  for (let start = 0; start < view.length; start += step) {
    if (start > 0) await yieldToEventLoop();
    empty.set(view.subarray(start, start + step), start);
  }
  return empty;
}

class AudioThread {
  private worker: RefWorker | null = null;
  private nextId = 1;
  private readonly jobs = new Map<number, Job>();

  run(job: AudioJob, transfer: ArrayBuffer[]): Promise<Done> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Done>((resolve, reject) => {
      if (this.jobs.size === 0) worker.ref();
      this.jobs.set(id, { resolve, reject });
      worker.postMessage({ ...job, id }, transfer);
    });
  }

  private ensureWorker(): RefWorker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL.href, { ref: false }) as RefWorker;
    this.worker = worker;
    worker.onmessage = (event: MessageEvent<FromAudioWorker>) => {
      if (this.worker !== worker) return;
      const message = event.data;
      const job = this.jobs.get(message.id);
      this.jobs.delete(message.id);
      if (this.jobs.size === 0) worker.unref();
      if (message.type === "failed") job?.reject(rebuildError(message.name, message.message));
      else job?.resolve(message);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.drop(worker, `audio worker failed: ${event.message}`);
    };
    worker.addEventListener("close", () => this.drop(worker, "audio worker exited unexpectedly"));
    return worker;
  }

  private drop(worker: RefWorker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    worker.terminate();
    const error = new Error(reason);
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }
}

const audioThread = new AudioThread();

export interface DecodedSamples {
  samples: Float32Array;
  activity: VoiceActivity;
  /** The samples as a 16-bit WAV file, when asked for. */
  wav?: Uint8Array<ArrayBuffer>;
}

/** decodeWav at 16 kHz, in the worker (with `withWav`, also encodeWav). The caller's bytes are left as they were. */
export async function decodeWavInWorker(bytes: Uint8Array, maxSeconds: number, withWav = false): Promise<DecodedSamples> {
  const copy = await copyInSlices(bytes, new Uint8Array(bytes.length));
  const done = await audioThread.run({ type: "decode-wav", bytes: copy, maxSeconds, withWav }, [copy.buffer]);
  if (done.type !== "samples") throw new Error(`audio worker answered ${done.type} to decode-wav`);
  return done;
}

/**
 * 16-bit little-endian PCM (ffmpeg's output, as read) → float samples, in the worker.
 * Takes the pieces over: their buffers are transferred when each piece owns its own.
 */
export async function pcm16InWorker(chunks: Uint8Array[]): Promise<DecodedSamples> {
  const transfer = new Set<ArrayBuffer>();
  for (const chunk of chunks) {
    const owned = chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
    if (owned) transfer.add(chunk.buffer);
  }
  const done = await audioThread.run({ type: "pcm16", chunks }, [...transfer]);
  if (done.type !== "samples") throw new Error(`audio worker answered ${done.type} to pcm16`);
  return done;
}

/** WAV files the worker encoded together with the samples they hold (decodeAudio's `withWav`). */
const encodedOffThread = new WeakMap<Float32Array, Uint8Array<ArrayBuffer>>();

export function rememberEncodedWav(samples: Float32Array, wav: Uint8Array<ArrayBuffer>): void {
  encodedOffThread.set(samples, wav);
}

/** `samples` as a 16-bit WAV file: the one made when they were decoded, else encoded in the worker now. */
export async function wavOf(samples: Float32Array, sampleRate: number): Promise<Uint8Array<ArrayBuffer>> {
  return encodedOffThread.get(samples) ?? (await encodeWavInWorker(samples, sampleRate));
}

/** encodeWav in the worker. The caller's samples are left as they were. */
export async function encodeWavInWorker(samples: Float32Array, sampleRate: number): Promise<Uint8Array<ArrayBuffer>> {
  const copy = await copyInSlices(samples, new Float32Array(samples.length));
  const done = await audioThread.run({ type: "encode-wav", samples: copy, sampleRate }, [copy.buffer]);
  if (done.type !== "wav") throw new Error(`audio worker answered ${done.type} to encode-wav`);
  return done.wav;
}
