/**
 * Words for matching memories, the same on every database: the full-text queries are
 * built from them (search.ts), and duplicates, contradictions and "forget …" targets are
 * judged by them. Letters and digits of any script, lower-cased, accents dropped; common
 * English words left out (they would match every memory).
 */

const COMMON = new Set(
  (
    "a an the and or but if so as at by for from in into of on onto to with without about over under " +
    "i im me my mine myself you your yours we our us he him his she her it its they them their " +
    "is am are was were be been being do does did done have has had having will would shall should can could may might must " +
    "not no yes ok okay please thanks thank hey hi hello oh " +
    "this that these those there here what which who whom whose when where why how " +
    "all any some each every just also very really too then than now " +
    "tell say said know remember forget note something anything everything " +
    "user users s t d ll ve re m"
  ).split(" "),
);

/** Every word of `text`, in order: "My daughter's called Ada" → my, daughter, s, called, ada. */
export function wordsOf(text: string): string[] {
  return (
    text
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** The words that say something, each once: no common words, no single letters. */
export function contentWords(text: string): string[] {
  const words = wordsOf(text).filter((w) => !COMMON.has(w) && (w.length > 1 || /\d/.test(w)));
  return [...new Set(words)];
}

/** Same word, or one a longer form of the other ("park", "parked"), for words of four letters or more. */
function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length < 4 || b.length < 4) return false;
  return a.startsWith(b) || b.startsWith(a);
}

/** How many of `words` occur in `among`. */
function found(words: string[], among: string[]): number {
  return words.filter((w) => among.some((v) => sameWord(w, v))).length;
}

/**
 * How alike two statements are, 0 to 1: shared content words over the larger set.
 * "my car is parked on level 3" / "… level 5" → 0.75; "my daughter is called Ada" /
 * "my son is called Tom" → 0.33.
 */
export function similarity(a: string, b: string): number {
  const wa = contentWords(a);
  const wb = contentWords(b);
  if (wa.length === 0 || wb.length === 0) return normalized(a) === normalized(b) ? 1 : 0;
  return found(wa, wb) / Math.max(wa.length, wb.length);
}

/** The share of `part`'s content words that `whole` contains (1 when it has them all). */
export function coverage(part: string, whole: string): number {
  const wp = contentWords(part);
  if (wp.length === 0) return 0;
  return found(wp, wordsOf(whole)) / wp.length;
}

/** For "is this the same text": case, accents, spacing and end punctuation ignored. */
export function normalized(text: string): string {
  return wordsOf(text).join(" ");
}
