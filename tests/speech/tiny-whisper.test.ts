// The random-weight Whisper generator: folder layout, tokenizer/config consistency, and that
// the merged decoder's cached path computes the same logits as a full pass.
import { describe, expect, test } from "bun:test";
import { AutoModelForSpeechSeq2Seq, Tensor } from "@huggingface/transformers";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  specKey,
  TEST_MODEL,
  WHISPER_BASE_SHAPE,
  WHISPER_TINY_SHAPE,
} from "../support/tiny-whisper/generate";
import { buildTokenizer, MIN_VOCAB_SIZE } from "../support/tiny-whisper/tokenizer";
import { tinyWhisperModel } from "./helpers";

const readJson = async (dir: string, file: string) => JSON.parse(await Bun.file(join(dir, file)).text());

describe("random Whisper generator", () => {
  test("writes the onnx-community folder layout with consistent configs", async () => {
    const dir = await tinyWhisperModel();
    expect((await readdir(dir)).sort()).toEqual([
      "config.json",
      "generation_config.json",
      "onnx",
      "preprocessor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    expect((await readdir(join(dir, "onnx"))).sort()).toEqual(["decoder_model_merged.onnx", "encoder_model.onnx"]);

    const config = await readJson(dir, "config.json");
    const generation = await readJson(dir, "generation_config.json");
    const tokenizer = await readJson(dir, "tokenizer.json");
    expect(config).toMatchObject({ model_type: "whisper", d_model: TEST_MODEL.dModel, vocab_size: TEST_MODEL.vocabSize });
    const ids = new Set([...Object.values(tokenizer.model.vocab as Record<string, number>)]);
    expect(ids.size).toBe(TEST_MODEL.vocabSize);
    expect(Math.max(...ids)).toBe(TEST_MODEL.vocabSize - 1);
    const vocab = tokenizer.model.vocab as Record<string, number>;
    expect(vocab["<|startoftranscript|>"]).toBe(generation.decoder_start_token_id);
    expect(vocab["<|endoftext|>"]).toBe(generation.eos_token_id);
    expect(vocab["<|notimestamps|>"]).toBe(generation.no_timestamps_token_id);
    expect(generation.lang_to_id["<|en|>"]).toBe(vocab["<|en|>"]);
    expect(Object.keys(generation.lang_to_id)).toHaveLength(99);
  });

  test("real Whisper sizes get Whisper's vocabulary layout", () => {
    const { ids, tokenizerJson } = buildTokenizer(WHISPER_BASE_SHAPE.vocabSize);
    // Same ids as openai/whisper-base's multilingual tokenizer.
    expect(ids.endOfText).toBe(50257);
    expect(ids.startOfTranscript).toBe(50258);
    expect(ids.languages["<|en|>"]).toBe(50259);
    expect(ids.transcribe).toBe(50359);
    expect(ids.noTimestamps).toBe(50363);
    expect(ids.firstTimestamp).toBe(50364);
    expect((tokenizerJson as { added_tokens: unknown[] }).added_tokens).toHaveLength(51865 - 50257);
    expect(() => buildTokenizer(MIN_VOCAB_SIZE - 1)).toThrow();
  });

  test("cache keys follow every parameter", () => {
    const keys = new Set(
      [TEST_MODEL, WHISPER_TINY_SHAPE, WHISPER_BASE_SHAPE, { ...TEST_MODEL, seed: 8 }, { ...TEST_MODEL, quantized: true }].map(
        specKey,
      ),
    );
    expect(keys.size).toBe(5);
    expect(specKey({ ...TEST_MODEL })).toBe(specKey(TEST_MODEL));
  });

  test("merged decoder: cached steps give the same logits as one full pass", async () => {
    const model = (await AutoModelForSpeechSeq2Seq.from_pretrained(await tinyWhisperModel(), {
      device: "cpu",
      dtype: "fp32",
      local_files_only: true,
    })) as unknown as { sessions: Record<string, OrtSession>; dispose(): Promise<unknown> };
    const encoder = model.sessions.model as OrtSession;
    const decoder = model.sessions.decoder_model_merged as OrtSession;
    expect(decoder.inputNames).toContain("use_cache_branch");
    expect(TEST_MODEL.decoderLayers).toBeGreaterThan(1); // so per-layer wiring is exercised
    const last = TEST_MODEL.decoderLayers - 1;
    expect(decoder.inputNames).toContain(`past_key_values.${last}.encoder.key`);
    expect(decoder.outputNames).toContain(`present.${last}.decoder.value`);

    const features = new Tensor("float32", Float32Array.from({ length: 80 * 3000 }, (_, i) => Math.sin(i)), [1, 80, 3000]);
    const { last_hidden_state: states } = await encoder.run({ input_features: features.ort_tensor });
    const heads = TEST_MODEL.heads;
    const headDim = TEST_MODEL.dModel / heads;
    const empty = () => new Tensor("float32", new Float32Array(0), [1, heads, 0, headDim]).ort_tensor;
    const kinds = ["decoder.key", "decoder.value", "encoder.key", "encoder.value"];
    /** Runs the decoder like transformers.js: decoder keys/values grow, encoder ones come from step one. */
    const decode = async (steps: number[][]) => {
      let cache: Record<string, unknown> | undefined;
      let outputs: Record<string, OrtTensor> = {};
      for (const tokens of steps) {
        const feeds: Record<string, unknown> = {
          input_ids: new Tensor("int64", BigInt64Array.from(tokens.map(BigInt)), [1, tokens.length]).ort_tensor,
          encoder_hidden_states: states,
          use_cache_branch: new Tensor("bool", [cache !== undefined], [1]).ort_tensor,
        };
        const next: Record<string, unknown> = {};
        for (let layer = 0; layer < TEST_MODEL.decoderLayers; layer++) {
          for (const kind of kinds) feeds[`past_key_values.${layer}.${kind}`] = cache?.[`${layer}.${kind}`] ?? empty();
        }
        outputs = await decoder.run(feeds);
        for (let layer = 0; layer < TEST_MODEL.decoderLayers; layer++) {
          for (const kind of kinds) {
            const keep = kind.startsWith("encoder") && cache;
            next[`${layer}.${kind}`] = keep ? cache?.[`${layer}.${kind}`] : outputs[`present.${layer}.${kind}`];
          }
        }
        cache = next;
      }
      return outputs;
    };
    const tokens = [1900, 1901, 1957, 97, 98, 99, 100];
    const full = await decode([tokens]);
    const cached = await decode([tokens.slice(0, 4), ...tokens.slice(4).map((t) => [t])]);

    const vocab = TEST_MODEL.vocabSize;
    const fullLast = (full.logits as OrtTensor).data.slice((tokens.length - 1) * vocab) as Float32Array;
    const cachedLast = (cached.logits as OrtTensor).data as Float32Array;
    let maxDifference = 0;
    for (let i = 0; i < vocab; i++) {
      maxDifference = Math.max(maxDifference, Math.abs((fullLast[i] as number) - (cachedLast[i] as number)));
    }
    expect(maxDifference).toBeLessThan(1e-4);
    expect((cached[`present.${last}.decoder.key`] as OrtTensor).dims).toEqual([1, heads, tokens.length, headDim]);
    // With a cache, the 1500-frame cross-attention keys are neither recomputed nor copied out.
    expect((full[`present.${last}.encoder.key`] as OrtTensor).dims).toEqual([1, heads, 1500, headDim]);
    expect((cached[`present.${last}.encoder.key`] as OrtTensor).dims).toEqual([1, heads, 0, headDim]);
    await model.dispose();
  });
});

// The slice of ONNX Runtime's session/tensor API this test touches.
type OrtTensor = { dims: readonly number[]; data: ArrayLike<number> & { slice(start: number): unknown } };
type OrtSession = {
  inputNames: string[];
  outputNames: string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
};
