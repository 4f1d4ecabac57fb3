/**
 * Explicit requests about memory, recognised by a small rule before the model answers
 * (English only): "remember that …", "forget that …", and "what do you remember about
 * me?". Anything else is left to the model: extraction after the exchange (extraction.ts)
 * notices facts said in passing.
 *
 * The rule is deliberately narrow. A whole message is a command only when it starts with
 * one (after a greeting or "please"); questions are not commands ("do you remember when
 * …?", "did you forget that …?"), and "forget it" is left alone: it usually means "never
 * mind".
 */

export type MemoryCommand =
  /** Store `fact` at once (the user's words after "remember that"). */
  | { kind: "remember"; fact: string }
  /** Delete what `target` names; null: "forget that", the thing just talked about. */
  | { kind: "forget"; target: string | null }
  /** Answer from the memories: "what do you remember about me?" */
  | { kind: "recall" };

// "ok", "hey Noa,", "please", "and also" … before the command itself.
const LEAD = String.raw`^(?:(?:ok(?:ay)?|hey|so|and|also|oh|now|noa|please|can you|could you|would you|will you|i want you to|i'd like you to)\b[\s,.!:;-]*)*`;
const REMEMBER = new RegExp(
  `${LEAD}(?:remember|memori[sz]e|note|keep in mind|don'?t forget|do not forget|never forget)(?:\\s+(?:that|this))?\\s*[:,-]?\\s+(?<fact>.+)$`,
  "is",
);
// Not a fact to store: "remember when we …", "remember what I said?" (questions), "remember me".
const NOT_A_FACT = /^(?:when|what|how|who|whom|where|why|if|whether|which|me|us|the time|anything|something)\b/i;
const FORGET = new RegExp(`${LEAD}forget\\s+(?<rest>.+)$`, "is");
const BARE_FORGET = /^(?:about\s+)?(?:that|this|what i (?:just )?(?:said|told you))$/i;
const RECALL =
  /\bwhat\s+(?:(?:do|did|have|else do)\s+)?you\s+(?:remember(?:ed)?|know|learn(?:ed|t)|memori[sz]ed|recall)\s+(?:about|of)\s+me\b|\bwhat(?:'s| is)\s+in\s+your\s+memory\b|\bwhat\s+(?:are|is)\s+your\s+memor(?:y|ies)\s+(?:of|about)\s+me\b/i;

/** The command a message makes, or null. */
export function memoryCommandOf(message: string): MemoryCommand | null {
  const text = message.trim().replace(/\s+/g, " ");
  if (text === "") return null;
  if (RECALL.test(text)) return { kind: "recall" };
  // Everything below is a statement: a question is never a command.
  if (text.includes("?")) return null;
  const body = text.replace(/[.!]+$/, "").trim();

  const remember = REMEMBER.exec(body);
  if (remember?.groups?.fact) {
    const fact = remember.groups.fact.trim();
    if (NOT_A_FACT.test(fact) || fact.length < 2) return null;
    // "remember to buy milk" is a reminder: keep the verb, or it reads "To buy milk."
    return { kind: "remember", fact: sentence(/^to\s/i.test(fact) ? `Remember ${fact}` : fact) };
  }
  const forget = FORGET.exec(body);
  if (forget?.groups?.rest) {
    const rest = forget.groups.rest.trim();
    if (/^(?:it|about it)\b/i.test(rest)) return null;
    if (BARE_FORGET.test(rest)) return { kind: "forget", target: null };
    return { kind: "forget", target: rest.replace(/^(?:that|about|what i said about)\s+/i, "") };
  }
  return null;
}

/** "my car is on level 3" → "My car is on level 3." */
function sentence(text: string): string {
  const trimmed = text.replace(/[\s,;:]+$/, "");
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!]$/.test(capital) ? capital : `${capital}.`;
}
