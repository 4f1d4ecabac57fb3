/**
 * What a search looks for: the words of the query (letters and digits, lower-cased, with
 * accents folded so "cafe" finds "café"), all required: whole words, the last one also as
 * the start of a word (the user may still be typing it). And where they are in a text, for
 * snippets (where every word is marked where a word starts with it).
 */

export const MAX_TERMS = 8;
const MAX_TERM_LENGTH = 64;

/** One character folded: lower-case, without accents; the same length as the input. */
function foldChar(char: string): string {
  const folded = char.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  return folded.length === 1 ? folded : char.toLowerCase().length === 1 ? char.toLowerCase() : char;
}

/** `text` folded character by character (UTF-16 units), so offsets in it are offsets in `text`. */
export function fold(text: string): string {
  let out = "";
  for (const char of text) {
    const folded = foldChar(char);
    out += folded.length === char.length ? folded : char;
  }
  return out;
}

/**
 * The distinct words of a query, lower-cased, accents folded unless `keepAccents` (for an
 * index that keeps them: PostgreSQL's 'simple' configuration); empty when it has none.
 */
export function termsOf(query: string, keepAccents = false): string[] {
  const words = (keepAccents ? query.toLowerCase() : fold(query)).match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.map((word) => word.slice(0, MAX_TERM_LENGTH)))].slice(0, MAX_TERMS);
}

const isWordChar = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}]/u.test(char);

/** Where words starting with one of `terms` are in `text`: [start, end) of each whole word, in order. */
export function matchesIn(text: string, terms: readonly string[]): { start: number; end: number }[] {
  const folded = fold(text);
  const found: { start: number; end: number }[] = [];
  for (const term of terms) {
    let from = 0;
    for (;;) {
      const at = folded.indexOf(term, from);
      if (at === -1) break;
      from = at + term.length;
      if (isWordChar(folded[at - 1])) continue;
      let end = at + term.length;
      while (end < folded.length && isWordChar(folded[end])) end++;
      found.push({ start: at, end });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  // Overlaps (one term a prefix of another) merge into one range.
  const merged: { start: number; end: number }[] = [];
  for (const range of found) {
    const last = merged.at(-1);
    if (last && range.start < last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

export const SNIPPET_LENGTH = 180;

/**
 * A short piece of `text` around its first match, whitespace collapsed, with "…" where it
 * was cut, and the matches inside it as ranges of the snippet.
 */
export function snippetOf(raw: string, terms: readonly string[]): { snippet: string; highlights: { start: number; end: number }[] } {
  const text = raw.replace(/\s+/g, " ").trim();
  const matches = matchesIn(text, terms);
  const first = matches[0]?.start ?? 0;
  let start = Math.max(0, first - Math.floor(SNIPPET_LENGTH / 3));
  // Start at a word, unless that loses the match.
  if (start > 0) {
    const space = text.indexOf(" ", start);
    if (space !== -1 && space < first) start = space + 1;
  }
  let end = Math.min(text.length, start + SNIPPET_LENGTH);
  if (end < text.length) {
    const space = text.lastIndexOf(" ", end);
    if (space > start && space > (matches[0]?.end ?? 0)) end = space;
  }
  const prefix = start > 0 ? "…" : "";
  const snippet = `${prefix}${text.slice(start, end)}${end < text.length ? "…" : ""}`;
  const highlights = matches
    .filter((m) => m.start >= start && m.end <= end)
    .map((m) => ({ start: m.start - start + prefix.length, end: m.end - start + prefix.length }));
  return { snippet, highlights };
}
