// Writes a random-weight Whisper model in the onnx-community folder layout, which the real
// transformers.js `automatic-speech-recognition` pipeline loads like any hub model:
//   config.json, generation_config.json, preprocessor_config.json,
//   tokenizer.json, tokenizer_config.json,
//   onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx
//   (+ onnx/*_quantized.onnx, the files dtype "q8" reads, when asked).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeModel, GraphBuilder } from "./onnx-builder";
import { buildTokenizer, type SpecialTokenIds } from "./tokenizer";
import { buildDecoder, buildEncoder, Layers, SeededWeights, type WhisperDims } from "./whisper-graphs";

export interface WhisperModelSpec {
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  heads: number;
  vocabSize: number;
  seed: number;
  /** Also write the dynamically quantized files (dtype "q8"). */
  quantized?: boolean;
  /**
   * Keep <|endoftext|> out of reach so generation always runs to the token limit: random
   * weights say nothing meaningful about when to stop, and benchmarks need a fixed count.
   */
  neverStop?: boolean;
}

/** Small enough for unit tests: loads in well under a second. */
export const TEST_MODEL: WhisperModelSpec = {
  dModel: 32,
  encoderLayers: 2,
  decoderLayers: 2,
  heads: 2,
  vocabSize: 2000,
  seed: 7,
};

/** Shapes of openai/whisper-tiny and whisper-base (multilingual vocabulary). */
export const WHISPER_TINY_SHAPE: WhisperModelSpec = {
  dModel: 384,
  encoderLayers: 4,
  decoderLayers: 4,
  heads: 6,
  vocabSize: 51865,
  seed: 1,
};
export const WHISPER_BASE_SHAPE: WhisperModelSpec = {
  dModel: 512,
  encoderLayers: 6,
  decoderLayers: 6,
  heads: 8,
  vocabSize: 51865,
  seed: 1,
};

// Cached models are keyed by the generator's own source too, so any change to it regenerates them.
const GENERATOR_SOURCE = ["generate.ts", "onnx-builder.ts", "tokenizer.ts", "whisper-graphs.ts"]
  .map((file) => readFileSync(join(import.meta.dir, file), "utf8"))
  .join("\0");
const OPSET = 17; // LayerNormalization needs 17

function dimsOf(spec: WhisperModelSpec): WhisperDims {
  if (spec.dModel % spec.heads !== 0) throw new Error("dModel must be divisible by heads");
  return {
    dModel: spec.dModel,
    encoderLayers: spec.encoderLayers,
    decoderLayers: spec.decoderLayers,
    encoderHeads: spec.heads,
    decoderHeads: spec.heads,
    ffnDim: 4 * spec.dModel,
    vocabSize: spec.vocabSize,
    numMelBins: 80,
    maxSourcePositions: 1500,
    maxTargetPositions: 448,
  };
}

function configFiles(dims: WhisperDims, ids: SpecialTokenIds, spec: WhisperModelSpec) {
  const suppressed = spec.neverStop ? [...ids.controlAndTimestamps, ids.endOfText] : ids.controlAndTimestamps;
  const config = {
    _name_or_path: "aiui/random-whisper",
    architectures: ["WhisperForConditionalGeneration"],
    model_type: "whisper",
    is_encoder_decoder: true,
    d_model: dims.dModel,
    encoder_layers: dims.encoderLayers,
    decoder_layers: dims.decoderLayers,
    encoder_attention_heads: dims.encoderHeads,
    decoder_attention_heads: dims.decoderHeads,
    encoder_ffn_dim: dims.ffnDim,
    decoder_ffn_dim: dims.ffnDim,
    num_mel_bins: dims.numMelBins,
    max_source_positions: dims.maxSourcePositions,
    max_target_positions: dims.maxTargetPositions,
    vocab_size: dims.vocabSize,
    activation_function: "gelu",
    scale_embedding: false,
    use_cache: true,
    bos_token_id: ids.endOfText,
    eos_token_id: ids.endOfText,
    pad_token_id: ids.endOfText,
    decoder_start_token_id: ids.startOfTranscript,
    begin_suppress_tokens: [ids.space, ids.endOfText],
    torch_dtype: "float32",
  };
  const generationConfig = {
    bos_token_id: ids.endOfText,
    eos_token_id: ids.endOfText,
    pad_token_id: ids.endOfText,
    decoder_start_token_id: ids.startOfTranscript,
    begin_suppress_tokens: [ids.space, ids.endOfText],
    // Random weights would pick task/timestamp tokens as often as text; a real model learns
    // not to. Suppressing them keeps the output text-like. Language tokens stay allowed:
    // language detection chooses among them.
    suppress_tokens: suppressed,
    is_multilingual: true,
    lang_to_id: ids.languages,
    task_to_id: { translate: ids.translate, transcribe: ids.transcribe },
    no_timestamps_token_id: ids.noTimestamps,
    max_initial_timestamp_index: 50,
    max_length: dims.maxTargetPositions,
    return_timestamps: false,
    alignment_heads: [[dims.decoderLayers - 1, 0]],
  };
  const preprocessorConfig = {
    processor_class: "WhisperProcessor",
    feature_extractor_type: "WhisperFeatureExtractor",
    feature_size: dims.numMelBins,
    sampling_rate: 16000,
    hop_length: 160,
    n_fft: 400,
    chunk_length: 30,
    n_samples: 480000,
    nb_max_frames: 3000,
    padding_side: "right",
    padding_value: 0.0,
    return_attention_mask: false,
  };
  return { config, generationConfig, preprocessorConfig };
}

function buildGraph(name: string, dims: WhisperDims, seed: number, quantize: boolean, body: typeof buildEncoder) {
  const layers = new Layers(new GraphBuilder(), new SeededWeights(seed), quantize);
  body(layers, dims);
  return encodeModel(layers.g.toGraph(name), OPSET);
}

/** Writes the model folder at `dir` (created; existing files are overwritten). */
export async function writeWhisperModel(dir: string, spec: WhisperModelSpec): Promise<void> {
  const dims = dimsOf(spec);
  const { tokenizerJson, tokenizerConfig, ids } = buildTokenizer(spec.vocabSize);
  const { config, generationConfig, preprocessorConfig } = configFiles(dims, ids, spec);

  await mkdir(join(dir, "onnx"), { recursive: true });
  const json = (file: string, value: object) => writeFile(join(dir, file), JSON.stringify(value, null, 1));
  await json("config.json", config);
  await json("generation_config.json", generationConfig);
  await json("preprocessor_config.json", preprocessorConfig);
  await json("tokenizer.json", tokenizerJson);
  await json("tokenizer_config.json", tokenizerConfig);

  const variants = spec.quantized ? [false, true] : [false];
  for (const quantize of variants) {
    const suffix = quantize ? "_quantized" : "";
    // Separate seeds keep encoder and decoder weights independent of each other's sizes.
    const encoder = buildGraph("whisper_encoder", dims, spec.seed, quantize, buildEncoder);
    await writeFile(join(dir, "onnx", `encoder_model${suffix}.onnx`), encoder);
    const decoder = buildGraph("whisper_decoder_merged", dims, spec.seed + 1, quantize, buildDecoder);
    await writeFile(join(dir, "onnx", `decoder_model_merged${suffix}.onnx`), decoder);
  }
}

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** "<spec hash>-<generator source hash>": one folder per spec and generator version. */
export function specKey(spec: WhisperModelSpec): string {
  const canonical = JSON.stringify({ ...spec, quantized: !!spec.quantized, neverStop: !!spec.neverStop });
  return `${shortHash(canonical)}-${shortHash(GENERATOR_SOURCE)}`;
}

/**
 * Returns a folder holding the model for `spec`, generating it on first use. It is written
 * under a temporary name first, so an interrupted run never leaves a half-written model, and
 * copies made by older versions of the generator are removed (base-size ones are large).
 */
export async function ensureWhisperModel(spec: WhisperModelSpec, cacheRoot: string): Promise<string> {
  const key = specKey(spec);
  const dir = join(cacheRoot, key);
  if (existsSync(join(dir, "config.json"))) return dir;
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  await writeWhisperModel(partial, spec);
  try {
    await rename(partial, dir);
  } catch (error) {
    // Another process finished the same model first: keep theirs.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(join(dir, "config.json"))) throw error;
  }
  const specPart = `${key.split("-")[0]}-`;
  for (const name of await readdir(cacheRoot)) {
    if (name.startsWith(specPart) && name !== key && !name.includes(".partial-")) {
      await rm(join(cacheRoot, name), { recursive: true, force: true });
    }
  }
  return dir;
}

/** Where tests and the benchmark cache generated models: node_modules/.cache of this repo. */
export const DEFAULT_MODEL_CACHE = new URL("../../../node_modules/.cache/aiui-random-whisper/", import.meta.url).pathname;
