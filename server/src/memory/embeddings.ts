/**
 * Embeddings from the provider of the model being used, when it offers /v1/embeddings
 * with the configured embedding model (MEMORY_EMBEDDING_MODEL). Vectors are stored with
 * each memory as float32 bytes and compared by plain cosine in the server: a user has
 * tens to hundreds of memories, not millions.
 *
 * Whether a provider answers is learned by asking: a refusal (4xx: no such endpoint or
 * model) is remembered for an hour, a timeout or outage for a minute, so a provider
 * without embeddings costs one failed call per hour, not one per request.
 */
import type { Config } from "../env.ts";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import { providerClient } from "../generation/index.ts";

const REFUSED_FOR_MS = 60 * 60_000;
const FAILED_FOR_MS = 60_000;
/** An embeddings call on the answer's path waits this long at most; then full-text alone decides. */
export const EMBEDDING_TIMEOUT_MS = 1000;
/** Texts per embeddings call. */
export const EMBEDDING_BATCH = 64;

export class Embedder {
  /** Provider (base URL + embedding model) → until when it is not asked again. */
  private readonly unavailable = new Map<string, number>();

  constructor(
    private readonly secrets: SecretBox,
    /** Null: embeddings are off (MEMORY_EMBEDDING_MODEL=none). */
    readonly embeddingModel: string | null,
    private readonly log: (line: string) => void,
    /** Where models may connect (PROVIDER_* settings): embeddings go to the model's provider too. */
    private readonly network: Config["providerNetwork"],
  ) {}

  private key(model: AiModel): string {
    return `${model.baseUrl}|${this.embeddingModel}`;
  }

  /** Worth asking this model's provider now. */
  usable(model: AiModel): boolean {
    if (!this.embeddingModel) return false;
    const until = this.unavailable.get(this.key(model));
    return until === undefined || until < Date.now();
  }

  /** One vector per text, in order; null when the provider cannot (and then it is not asked for a while). */
  async embed(model: AiModel, texts: string[], timeoutMs = EMBEDDING_TIMEOUT_MS): Promise<Float32Array[] | null> {
    if (!this.embeddingModel || texts.length === 0 || !this.usable(model)) return null;
    try {
      // "float": many OpenAI-compatible servers do not implement the SDK's default base64.
      const response = await providerClient(model, this.secrets, timeoutMs, this.network).embeddings.create({
        model: this.embeddingModel,
        input: texts,
        encoding_format: "float",
      });
      const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => Float32Array.from(d.embedding));
      if (vectors.length !== texts.length || vectors.some((v) => v.length === 0 || v.length !== vectors[0]!.length)) {
        throw new Error(`answered ${vectors.length} vectors for ${texts.length} texts`);
      }
      return vectors;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const refused = typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
      this.unavailable.set(this.key(model), Date.now() + (refused ? REFUSED_FOR_MS : FAILED_FOR_MS));
      this.log(
        `Memory: ${hostOf(model.baseUrl)} gave no embeddings for ${this.embeddingModel} (${refused ? `HTTP ${status}` : (error as Error).message}); ` +
          `using full-text search alone for ${refused ? "an hour" : "a minute"}.`,
      );
      return null;
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function vectorToBytes(vector: Float32Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  return bytes;
}

export function bytesToVector(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(Math.floor(bytes.byteLength / 4));
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}

/** Cosine similarity; 0 for vectors of different lengths (another embedding model) or zero vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
