/**
 * Token counts a provider reports, as every database's INT column stores them: whole numbers
 * from 0 to 2^31 − 1. A provider that reports anything else (1e12, -1, 2.5, "many") has
 * reported nothing usable, and the counts are estimated instead, as when it reports none.
 */
export const MAX_TOKEN_COUNT = 2_147_483_647;

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_TOKEN_COUNT;

export function storableUsage(usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined) {
  if (!usage || !isCount(usage.prompt_tokens) || !isCount(usage.completion_tokens)) return null;
  return { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens };
}
