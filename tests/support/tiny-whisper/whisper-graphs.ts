// Whisper-shaped encoder and merged decoder graphs with random weights, built with the
// same operators and tensor shapes as an optimum export, so transformers.js drives them
// exactly like a real onnx-community model (and timings at real sizes are honest).
import { attr, DataType, type GraphBuilder } from "./onnx-builder";

export interface WhisperDims {
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  encoderHeads: number;
  decoderHeads: number;
  ffnDim: number;
  vocabSize: number;
  numMelBins: number;
  maxSourcePositions: number;
  maxTargetPositions: number;
}

/** Deterministic weights: mulberry32 uniform noise with a small spread, like a fresh init. */
export class SeededWeights {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(size: number, scale: number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = (this.next() * 2 - 1) * scale;
    return out;
  }
}

export const filled = (size: number, value: number) => new Float32Array(size).fill(value);

/** Runs `make` on the first call only: for a weight that several tensors are made from. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

/**
 * Adds weights and emits ops. Weights are made once per name, so building the same layer
 * into both branches of an If shares its tensors. With `quantize`, linear layers become the
 * pattern ONNX Runtime's dynamic quantization writes (DynamicQuantizeLinear + MatMulInteger,
 * int8 weights), which is what the `_quantized` (dtype "q8") files of onnx-community hold.
 */
export class Layers {
  constructor(
    readonly g: GraphBuilder,
    readonly rng: SeededWeights,
    private readonly quantize: boolean,
  ) {}

  /** y = x·W (+ b) with W of shape [inDim, outDim]. */
  linear(x: string, name: string, inDim: number, outDim: number, bias: boolean): string {
    const y = this.matmulConst(x, name, [inDim, outDim], () => this.rng.uniform(inDim * outDim, 1 / Math.sqrt(inDim)));
    return bias ? this.g.op("Add", [y, this.g.weight(`${name}.bias`, [outDim], () => filled(outDim, 0))]) : y;
  }

  /** x·W for a constant W laid out as `dims`, quantized when asked. */
  matmulConst(x: string, name: string, dims: [number, number], make: () => Float32Array): string {
    const g = this.g;
    if (!this.quantize) return g.op("MatMul", [x, g.weight(`${name}.weight`, dims, make)]);
    let scale = 1;
    const wq = g.weight(`${name}.weight_quantized`, dims, () => {
      const w = make();
      let maxAbs = 0;
      for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
      scale = maxAbs / 127 || 1;
      return Int8Array.from(w, (v) => Math.round(v / scale));
    });
    const wScale = g.weight(`${name}.weight_scale`, [], () => new Float32Array([scale]));
    const wZero = g.weight(`${name}.weight_zero_point`, [], () => new Int8Array([0]));
    const [xq, xScale, xZero] = g.opMulti("DynamicQuantizeLinear", [x], 3) as [string, string, string];
    const yInt = g.op("MatMulInteger", [xq, wq, xZero, wZero]);
    const yFloat = g.op("Cast", [yInt], { to: attr.int(DataType.FLOAT) });
    return g.op("Mul", [yFloat, g.op("Mul", [xScale, wScale])]);
  }

  layerNorm(x: string, name: string, dim: number): string {
    const gamma = this.g.weight(`${name}.weight`, [dim], () => filled(dim, 1));
    const beta = this.g.weight(`${name}.bias`, [dim], () => filled(dim, 0));
    return this.g.op("LayerNormalization", [x, gamma, beta], { axis: attr.int(-1), epsilon: attr.float(1e-5) });
  }

  /** Exact (erf) GELU as exported from PyTorch; ONNX Runtime fuses it into one Gelu kernel. */
  gelu(x: string): string {
    const g = this.g;
    const erf = g.op("Erf", [g.op("Mul", [x, g.float(Math.SQRT1_2)])]);
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, g.float(1)])]), g.float(0.5)]);
  }

  /** [B, T, H·Dh] → [B, H, T, Dh] */
  splitHeads(x: string, heads: number, headDim: number): string {
    const r = this.g.op("Reshape", [x, this.g.int64s([0, 0, heads, headDim])]);
    return this.g.op("Transpose", [r], { perm: attr.ints([0, 2, 1, 3]) });
  }

  /** softmax(q·kᵀ + mask)·v, then heads merged back to [B, T, d]. q is pre-scaled. */
  attend(q: string, k: string, v: string, dModel: number, mask?: string): string {
    const g = this.g;
    const kT = g.op("Transpose", [k], { perm: attr.ints([0, 1, 3, 2]) });
    let scores = g.op("MatMul", [q, kT]);
    if (mask) scores = g.op("Add", [scores, mask]);
    const context = g.op("MatMul", [g.op("Softmax", [scores], { axis: attr.int(-1) }), v]);
    const merged = g.op("Transpose", [context], { perm: attr.ints([0, 2, 1, 3]) });
    return g.op("Reshape", [merged, g.int64s([0, 0, dModel])]);
  }

  /** Logits with the output projection tied to the token embedding [vocab, d]. */
  tiedHead(hidden: string, embedName: string, embedding: () => Float32Array, vocab: number, d: number): string {
    if (!this.quantize) return this.g.op("Gemm", [hidden, embedName], { transB: attr.int(1) });
    return this.matmulConst(hidden, "proj_out", [d, vocab], () => {
      const e = embedding();
      const transposed = new Float32Array(d * vocab);
      for (let r = 0; r < vocab; r++) {
        for (let c = 0; c < d; c++) transposed[c * vocab + r] = e[r * d + c] as number;
      }
      return transposed;
    });
  }

  /** The same weights and quantization, emitting into an If branch. */
  inSubgraph(): Layers {
    return new Layers(this.g.subgraph(), this.rng, this.quantize);
  }

  feedForward(x: string, name: string, dModel: number, ffnDim: number): string {
    const h = this.gelu(this.linear(x, `${name}.fc1`, dModel, ffnDim, true));
    return this.linear(h, `${name}.fc2`, ffnDim, dModel, true);
  }
}

/** input_features [B, mels, 3000] → last_hidden_state [B, 1500, d] */
export function buildEncoder(layers: Layers, dims: WhisperDims): void {
  const { g, rng } = layers;
  const { dModel: d, encoderHeads: heads, numMelBins: mels } = dims;
  const headDim = d / heads;
  const features = g.input("input_features", DataType.FLOAT, ["batch_size", mels, "encoder_sequence_length"]);

  const conv = (x: string, name: string, inCh: number, stride: number) =>
    layers.gelu(
      g.op(
        "Conv",
        [
          x,
          g.weight(`${name}.weight`, [d, inCh, 3], () => rng.uniform(d * inCh * 3, 1 / Math.sqrt(inCh * 3))),
          g.weight(`${name}.bias`, [d], () => filled(d, 0)),
        ],
        { kernel_shape: attr.ints([3]), pads: attr.ints([1, 1]), strides: attr.ints([stride]) },
      ),
    );
  const conv2 = conv(conv(features, "encoder.conv1", mels, 1), "encoder.conv2", d, 2);
  const positions = g.weight("encoder.embed_positions.weight", [dims.maxSourcePositions, d], () =>
    rng.uniform(dims.maxSourcePositions * d, 0.02),
  );
  let x = g.op("Add", [g.op("Transpose", [conv2], { perm: attr.ints([0, 2, 1]) }), positions]);

  for (let i = 0; i < dims.encoderLayers; i++) {
    const p = `encoder.layers.${i}`;
    const h = layers.layerNorm(x, `${p}.self_attn_layer_norm`, d);
    const q = g.op("Mul", [layers.linear(h, `${p}.self_attn.q_proj`, d, d, true), g.float(headDim ** -0.5)]);
    const k = layers.linear(h, `${p}.self_attn.k_proj`, d, d, false);
    const v = layers.linear(h, `${p}.self_attn.v_proj`, d, d, true);
    const context = layers.attend(
      layers.splitHeads(q, heads, headDim),
      layers.splitHeads(k, heads, headDim),
      layers.splitHeads(v, heads, headDim),
      d,
    );
    x = g.op("Add", [x, layers.linear(context, `${p}.self_attn.out_proj`, d, d, true)]);
    const f = layers.layerNorm(x, `${p}.final_layer_norm`, d);
    x = g.op("Add", [x, layers.feedForward(f, p, d, dims.ffnDim)]);
  }
  const out = layers.layerNorm(x, "encoder.layer_norm", d);
  g.op("Identity", [out], {}, "last_hidden_state");
  g.output("last_hidden_state", DataType.FLOAT, ["batch_size", "encoder_sequence_length_out", d]);
}

interface DecoderInputs {
  inputIds: string;
  encoderStates: string;
  past: { selfKey: string; selfValue: string; crossKey: string; crossValue: string }[];
  /** Shared by the embedding lookup and the tied output projection. */
  tokenEmbedding: () => Float32Array;
}

/**
 * One decoder pass into `layers.g`. First step (`withPast` false): cross-attention keys and
 * values are projected from the encoder states and returned as present.*.encoder.*. Later
 * steps: the cached ones are read from the inputs, and present.*.encoder.* are empty
 * placeholders (transformers.js keeps the cached tensors), so nothing 1500 frames long is
 * recomputed or copied per token.
 */
function decoderPass(layers: Layers, dims: WhisperDims, inputs: DecoderInputs, withPast: boolean, suffix: string) {
  const { g, rng } = layers;
  const { dModel: d, decoderHeads: heads, vocabSize: vocab } = dims;
  const headDim = d / heads;
  const { inputIds, encoderStates, past, tokenEmbedding } = inputs;

  // Positions past_len … past_len+seq_len-1, and the causal mask over past+new keys.
  const pastLen = withPast
    ? g.op("Squeeze", [g.op("Shape", [past[0]?.selfKey as string], { start: attr.int(2), end: attr.int(3) })])
    : g.int64Scalar(0);
  const seqLen = g.op("Squeeze", [g.op("Shape", [inputIds], { start: attr.int(1), end: attr.int(2) })]);
  const totalLen = g.op("Add", [pastLen, seqLen]);
  const positions = g.op("Range", [pastLen, totalLen, g.int64Scalar(1)]);
  const keyPositions = g.op("Range", [g.int64Scalar(0), totalLen, g.int64Scalar(1)]);
  const visible = g.op("LessOrEqual", [
    g.op("Unsqueeze", [keyPositions, g.int64s([0])]),
    g.op("Unsqueeze", [positions, g.int64s([1])]),
  ]);
  const causalMask = g.op("Where", [visible, g.float(0), g.float(-1e9)]);

  const embedTokens = g.weight("decoder.embed_tokens.weight", [vocab, d], tokenEmbedding);
  const embedPositions = g.weight("decoder.embed_positions.weight", [dims.maxTargetPositions, d], () =>
    rng.uniform(dims.maxTargetPositions * d, 0.02),
  );
  let x = g.op("Add", [g.op("Gather", [embedTokens, inputIds]), g.op("Gather", [embedPositions, positions])]);

  const outputs: Record<string, string> = {};
  past.forEach((p, i) => {
    const prefix = `decoder.layers.${i}`;
    const h = layers.layerNorm(x, `${prefix}.self_attn_layer_norm`, d);
    const q = g.op("Mul", [layers.linear(h, `${prefix}.self_attn.q_proj`, d, d, true), g.float(headDim ** -0.5)]);
    let key = layers.splitHeads(layers.linear(h, `${prefix}.self_attn.k_proj`, d, d, false), heads, headDim);
    let value = layers.splitHeads(layers.linear(h, `${prefix}.self_attn.v_proj`, d, d, true), heads, headDim);
    if (withPast) {
      key = g.op("Concat", [p.selfKey, key], { axis: attr.int(2) });
      value = g.op("Concat", [p.selfValue, value], { axis: attr.int(2) });
    }
    outputs[`present.${i}.decoder.key`] = key;
    outputs[`present.${i}.decoder.value`] = value;
    const selfContext = layers.attend(layers.splitHeads(q, heads, headDim), key, value, d, causalMask);
    x = g.op("Add", [x, layers.linear(selfContext, `${prefix}.self_attn.out_proj`, d, d, true)]);

    const c = layers.layerNorm(x, `${prefix}.encoder_attn_layer_norm`, d);
    const cq = g.op("Mul", [layers.linear(c, `${prefix}.encoder_attn.q_proj`, d, d, true), g.float(headDim ** -0.5)]);
    let crossKey = p.crossKey;
    let crossValue = p.crossValue;
    if (withPast) {
      const empty = g.weight(`empty_kv_${heads}_${headDim}`, [1, heads, 0, headDim], () => new Float32Array(0));
      outputs[`present.${i}.encoder.key`] = empty;
      outputs[`present.${i}.encoder.value`] = empty;
    } else {
      const projected = (kind: string, bias: boolean) =>
        layers.splitHeads(layers.linear(encoderStates, `${prefix}.encoder_attn.${kind}_proj`, d, d, bias), heads, headDim);
      crossKey = projected("k", false);
      crossValue = projected("v", true);
      outputs[`present.${i}.encoder.key`] = crossKey;
      outputs[`present.${i}.encoder.value`] = crossValue;
    }
    const crossContext = layers.attend(layers.splitHeads(cq, heads, headDim), crossKey, crossValue, d);
    x = g.op("Add", [x, layers.linear(crossContext, `${prefix}.encoder_attn.out_proj`, d, d, true)]);

    const f = layers.layerNorm(x, `${prefix}.final_layer_norm`, d);
    x = g.op("Add", [x, layers.feedForward(f, prefix, d, dims.ffnDim)]);
  });

  // Whisper ties the output projection to the token embedding.
  const hidden = g.op("Reshape", [layers.layerNorm(x, "decoder.layer_norm", d), g.int64s([-1, d])]);
  const logits2d = layers.tiedHead(hidden, embedTokens, tokenEmbedding, vocab, d);
  const logitsShape = g.op("Concat", [g.op("Shape", [inputIds]), g.int64s([vocab])], { axis: attr.int(0) });
  outputs.logits = g.op("Reshape", [logits2d, logitsShape]);

  // Branch outputs need their own names (ONNX names are unique across nested graphs).
  for (const name of decoderOutputNames(dims)) {
    g.op("Identity", [outputs[name] as string], {}, `${name}${suffix}`);
    g.output(`${name}${suffix}`, DataType.FLOAT);
  }
}

function decoderOutputNames(dims: WhisperDims): string[] {
  const names = ["logits"];
  for (let i = 0; i < dims.decoderLayers; i++) {
    for (const part of ["decoder.key", "decoder.value", "encoder.key", "encoder.value"]) names.push(`present.${i}.${part}`);
  }
  return names;
}

/**
 * The merged decoder, as optimum exports it: one graph whose If on `use_cache_branch` runs
 * either the first-step decoder or the with-past decoder; both branches share the weights.
 */
export function buildDecoder(layers: Layers, dims: WhisperDims): void {
  const { g, rng } = layers;
  const { dModel: d, decoderHeads: heads, vocabSize: vocab } = dims;
  const headDim = d / heads;
  const kvDims = (seq: string) => ["batch_size", heads, seq, headDim];

  const inputs: DecoderInputs = {
    tokenEmbedding: once(() => rng.uniform(vocab * d, 0.02)),
    inputIds: g.input("input_ids", DataType.INT64, ["batch_size", "decoder_sequence_length"]),
    encoderStates: g.input("encoder_hidden_states", DataType.FLOAT, ["batch_size", "encoder_sequence_length_out", d]),
    past: Array.from({ length: dims.decoderLayers }, (_, i) => {
      const input = (kind: string, seq: string) =>
        g.input(`past_key_values.${i}.${kind}`, DataType.FLOAT, kvDims(seq));
      return {
        selfKey: input("decoder.key", "past_decoder_sequence_length"),
        selfValue: input("decoder.value", "past_decoder_sequence_length"),
        crossKey: input("encoder.key", "encoder_sequence_length_out"),
        crossValue: input("encoder.value", "encoder_sequence_length_out"),
      };
    }),
  };
  const useCache = g.input("use_cache_branch", DataType.BOOL, [1]);

  const firstStep = layers.inSubgraph();
  decoderPass(firstStep, dims, inputs, false, "_first_step");
  const withPast = layers.inSubgraph();
  decoderPass(withPast, dims, inputs, true, "_with_past");
  const names = decoderOutputNames(dims);
  g.opMulti(
    "If",
    [useCache],
    names.length,
    {
      then_branch: attr.graph(withPast.g.toGraph("decoder_with_past")),
      else_branch: attr.graph(firstStep.g.toGraph("decoder_first_step")),
    },
    names,
  );

  g.output("logits", DataType.FLOAT, ["batch_size", "decoder_sequence_length", vocab]);
  for (let i = 0; i < dims.decoderLayers; i++) {
    for (const kind of ["key", "value"]) {
      g.output(`present.${i}.decoder.${kind}`, DataType.FLOAT, kvDims("total_sequence_length"));
    }
    for (const kind of ["key", "value"]) {
      // Empty on with-past steps, like optimum's merged models.
      g.output(`present.${i}.encoder.${kind}`, DataType.FLOAT, kvDims("encoder_sequence_length_out_or_empty"));
    }
  }
}
