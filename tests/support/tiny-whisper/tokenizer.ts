// A minimal but valid byte-level BPE tokenizer laid out like Whisper's multilingual
// vocabulary: text tokens first, then <|endoftext|>, <|startoftranscript|>, the language
// tokens, the task/control tokens and 1501 timestamp tokens. Only the counts differ.

/** Whisper's 99 language codes, in the order of their token ids. */
export const WHISPER_LANGUAGES = [
  "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv",
  "it", "id", "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no",
  "th", "ur", "hr", "bg", "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr",
  "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw",
  "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be", "tg", "sd", "gu",
  "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl",
  "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su",
] as const;

const CONTROL_TOKENS = [
  "<|translate|>",
  "<|transcribe|>",
  "<|startoflm|>",
  "<|startofprev|>",
  "<|nocaptions|>",
  "<|notimestamps|>",
] as const;

const TIMESTAMP_COUNT = 1501; // <|0.00|> … <|30.00|> in 0.02 s steps
const BYTE_TOKENS = 256;

/** Tokens after the text tokens: eot, sot, languages, controls, timestamps. */
export const NON_TEXT_TOKENS = 2 + WHISPER_LANGUAGES.length + CONTROL_TOKENS.length + TIMESTAMP_COUNT;
export const MIN_VOCAB_SIZE = BYTE_TOKENS + NON_TEXT_TOKENS;

export interface SpecialTokenIds {
  endOfText: number;
  startOfTranscript: number;
  languages: Record<string, number>;
  translate: number;
  transcribe: number;
  noTimestamps: number;
  firstTimestamp: number;
  /** Id of the byte-level token for " " (Whisper suppresses it at the first step). */
  space: number;
  /** <|startoftranscript|>, task/control and timestamp tokens: never text, never a language. */
  controlAndTimestamps: number[];
}

/**
 * GPT-2's reversible byte→unicode mapping: printable Latin-1 bytes map to themselves,
 * the others to code points from 256 up, so every byte sequence is a visible string.
 */
function byteToUnicode(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table.push(String.fromCodePoint(printable(b) ? b : 256 + extra++));
  }
  return table;
}

/** Byte symbols ordered so the first merges make letter pairs (random output reads more like text). */
function orderedByteSymbols(table: string[]): string[] {
  const rank = (b: number) => {
    if (b >= 97 && b <= 122) return 0; // a-z
    if (b === 32) return 1; // space
    if (b >= 65 && b <= 90) return 2; // A-Z
    if (b >= 48 && b <= 57) return 3; // digits
    if (b >= 33 && b <= 126) return 4; // punctuation
    return 5;
  };
  const bytes = Array.from({ length: 256 }, (_, b) => b);
  bytes.sort((a, b) => rank(a) - rank(b) || a - b);
  return bytes.map((b) => table[b] as string);
}

function timestampToken(i: number): string {
  return `<|${(i * 0.02).toFixed(2)}|>`;
}

export interface TokenizerFiles {
  tokenizerJson: object;
  tokenizerConfig: object;
  ids: SpecialTokenIds;
}

export function buildTokenizer(vocabSize: number): TokenizerFiles {
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_VOCAB_SIZE) {
    throw new Error(`vocabSize must be an integer >= ${MIN_VOCAB_SIZE}, got ${vocabSize}`);
  }
  const textTokens = vocabSize - NON_TEXT_TOKENS;
  const table = byteToUnicode();
  const symbols = orderedByteSymbols(table);

  const vocab: Record<string, number> = {};
  symbols.forEach((s, i) => {
    vocab[s] = i;
  });
  const merges: [string, string][] = [];
  outer: for (const a of symbols) {
    for (const b of symbols) {
      if (BYTE_TOKENS + merges.length >= textTokens) break outer;
      vocab[a + b] = BYTE_TOKENS + merges.length;
      merges.push([a, b]);
    }
  }
  if (BYTE_TOKENS + merges.length < textTokens) {
    throw new Error(`vocabSize ${vocabSize} needs more than ${256 * 256} two-byte merges`);
  }

  const added: { id: number; content: string; special: boolean }[] = [];
  const add = (content: string, special = true) => {
    const id = textTokens + added.length;
    added.push({ id, content, special });
    vocab[content] = id;
    return id;
  };
  const endOfText = add("<|endoftext|>");
  const startOfTranscript = add("<|startoftranscript|>");
  const languages: Record<string, number> = {};
  for (const code of WHISPER_LANGUAGES) languages[`<|${code}|>`] = add(`<|${code}|>`);
  const control = Object.fromEntries(CONTROL_TOKENS.map((t) => [t, add(t)])) as Record<
    (typeof CONTROL_TOKENS)[number],
    number
  >;
  // Real Whisper tokenizers mark timestamps as added but not special.
  const firstTimestamp = add(timestampToken(0), false);
  for (let i = 1; i < TIMESTAMP_COUNT; i++) add(timestampToken(i), false);

  const ids: SpecialTokenIds = {
    endOfText,
    startOfTranscript,
    languages,
    translate: control["<|translate|>"],
    transcribe: control["<|transcribe|>"],
    noTimestamps: control["<|notimestamps|>"],
    firstTimestamp,
    space: vocab[table[32] as string] as number,
    controlAndTimestamps: added
      .map((t) => t.id)
      .filter((id) => id !== endOfText && !Object.values(languages).includes(id)),
  };

  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "WhisperTokenizer",
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
    model_max_length: 1024,
    clean_up_tokenization_spaces: true,
    add_prefix_space: false,
    errors: "replace",
  };
  return { tokenizerJson, tokenizerConfig, ids };
}
