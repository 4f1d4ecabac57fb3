/**
 * What memory adds to a system prompt: a note about a memory request just carried out
 * (so the answer confirms it), and the memories relevant to the request, as a short
 * list. The whole section stays within the token budget (MEMORY_PROMPT_TOKENS), by the
 * same estimate as context trimming (docs/decisions/0003-context-trimming.md): the note
 * first, then memories in order of relevance while they fit.
 */
import { estimateTokens } from "../generation/index.ts";

const RELEVANT_HEADER =
  "What you remember about the user from earlier conversations (use it when it helps; do not bring it up otherwise):";
const RECALL_HEADER = (count: number) =>
  `The user asks what you remember about them. You have ${count} ${count === 1 ? "memory" : "memories"} of them` +
  `${count > 0 ? "; the most recent are listed here. Answer from these only:" : ". Say that you do not remember anything about them yet."}`;

export const MEMORY_OFF_NOTE =
  "Memory is turned off for this user: you remember nothing between conversations. If they ask you to remember or recall something, " +
  "say so briefly; they can turn memory on on the Memory page of AIUI.";

/** Quoted for the prompt, on one line. */
export function quote(text: string): string {
  return `“${text.replace(/\s+/g, " ").trim()}”`;
}

/**
 * `note`: what was just done at the user's request (always kept, even alone over budget:
 * it is short and the confirmation depends on it). `memories`: most relevant first.
 * `recallCount`: set when the user asked what is remembered (the total they have).
 */
export function memorySection(input: {
  note?: string;
  memories: { id: string; text: string }[];
  budgetTokens: number;
  recallCount?: number;
}): { text: string; usedIds: string[] } {
  const parts: string[] = [];
  if (input.note) parts.push(input.note);
  const header = input.recallCount === undefined ? RELEVANT_HEADER : RECALL_HEADER(input.recallCount);
  const lines: string[] = [];
  const usedIds: string[] = [];
  const render = (withLines: string[]) => [...parts, ...(withLines.length || input.recallCount !== undefined ? [header, ...withLines] : [])].join("\n");
  for (const memory of input.memories) {
    const candidate = [...lines, `- ${memory.text.replace(/\s+/g, " ").trim()}`];
    if (estimateTokens(render(candidate)) > input.budgetTokens) continue;
    lines.push(candidate.at(-1)!);
    usedIds.push(memory.id);
  }
  return { text: render(lines), usedIds };
}
