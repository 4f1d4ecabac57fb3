/**
 * Learning from an exchange, after it is saved and off its path: the user's model is
 * asked, in one short JSON-only request, whether the exchange holds a durable fact about
 * the user, given the few existing memories closest to it, and answers with operations
 * (add, update, delete). The answer is checked before anything is applied: only the
 * memories it was shown can be changed, texts are bounded, and an "add" that repeats an
 * existing memory (words.ts: similarity) updates that one instead of piling up.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { MAX_MEMORY_CHARS } from "./store.ts";

/** Exchange text shown to the extraction request, per side: enough for any fact, bounded in cost. */
const EXCHANGE_CHARS = 2000;
const MAX_OPERATIONS = 5;
export const EXTRACTION_MAX_TOKENS = 400;

export const EXTRACTION_INSTRUCTION = [
  "You keep a long-term memory of durable facts about a user, for an assistant that talks with them over weeks.",
  "Given the existing memories and one new exchange, decide whether the exchange holds a fact about the user worth remembering:",
  "who they are, people and pets in their life, preferences, diet, health, work, plans, where they left something.",
  "Not worth remembering: questions, small talk, general knowledge, what the assistant said, anything true only for a moment.",
  'Answer with JSON only, no other text: {"operations": [...]} where each operation is one of',
  '{"op": "add", "text": "<one short sentence in the third person, e.g. The user\'s daughter is called Ada.>"}',
  '{"op": "update", "id": "<id of an existing memory>", "text": "<the corrected fact>"} when the exchange changes, contradicts or refines it,',
  '{"op": "delete", "id": "<id of an existing memory>"} when the exchange shows it is no longer true.',
  'Never add what an existing memory already says. Most exchanges hold nothing worth remembering: then answer {"operations": []}.',
].join("\n");

export type Operation = { op: "add"; text: string } | { op: "update"; id: string; text: string } | { op: "delete"; id: string };

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}…`;
}

export function extractionMessages(existing: { id: string; text: string }[], exchange: { user: string; assistant: string }): ChatCompletionMessageParam[] {
  const memories = existing.length ? JSON.stringify(existing.map(({ id, text }) => ({ id, text }))) : "none";
  return [
    { role: "system", content: EXTRACTION_INSTRUCTION },
    {
      role: "user",
      content: `Existing memories: ${memories}\n\nExchange:\nUser: ${clip(exchange.user, EXCHANGE_CHARS)}\nAssistant: ${clip(exchange.assistant, EXCHANGE_CHARS)}`,
    },
  ];
}

/**
 * The operations in a model's answer: JSON, possibly wrapped in prose or a code fence, as
 * {"operations": [...]} or a bare array. Malformed entries are skipped; `knownIds` are the
 * memories the model was shown (the only ones it may change). Throws when there is no JSON.
 */
export function parseOperations(answer: string, knownIds: ReadonlySet<string>): Operation[] {
  const start = answer.search(/[[{]/);
  const end = Math.max(answer.lastIndexOf("}"), answer.lastIndexOf("]"));
  if (start === -1 || end < start) throw new Error("the model's answer held no JSON");
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.slice(start, end + 1));
  } catch {
    throw new Error("the model's answer was not valid JSON");
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { operations?: unknown })?.operations;
  if (!Array.isArray(list)) throw new Error('the model\'s answer had no "operations" list');
  const operations: Operation[] = [];
  for (const entry of list.slice(0, MAX_OPERATIONS)) {
    const { op, id, text } = (entry ?? {}) as { op?: unknown; id?: unknown; text?: unknown };
    const cleanText = typeof text === "string" ? text.replace(/\s+/g, " ").trim().slice(0, MAX_MEMORY_CHARS) : "";
    const knownId = typeof id === "string" && knownIds.has(id) ? id : null;
    if (op === "add" && cleanText) operations.push({ op, text: cleanText });
    else if (op === "update" && cleanText && knownId) operations.push({ op, id: knownId, text: cleanText });
    // An update of a memory it was not shown is a new fact.
    else if (op === "update" && cleanText) operations.push({ op: "add", text: cleanText });
    else if (op === "delete" && knownId) operations.push({ op, id: knownId });
  }
  return operations;
}
