/**
 * Input rules for AI model definitions. Every wrong field is reported at once, each with
 * a sentence that names it as the form does ("Base URL must start with http:// or https://.").
 */

export interface ModelInput {
  name?: string | null;
  providerModelId?: string | null;
  baseUrl?: string | null;
  /** undefined keeps the stored key; null or "" removes it. */
  apiKey?: string | null;
  description?: string | null;
  bestUseCases?: string | null;
  inputCostPerMTok?: number | null;
  outputCostPerMTok?: number | null;
  maxTokens?: number | null;
  contextWindow?: number | null;
  temperature?: number | null;
  systemPrompt?: string | null;
  supportsImages?: boolean | null;
  active?: boolean | null;
}

/** What the models form calls each field. */
export const MODEL_FIELD_LABELS: Record<keyof ModelInput, string> = {
  name: "Name",
  providerModelId: "Model id",
  baseUrl: "Base URL",
  apiKey: "API key",
  description: "Description",
  bestUseCases: "Best use cases",
  inputCostPerMTok: "Input price",
  outputCostPerMTok: "Output price",
  maxTokens: "Max tokens",
  contextWindow: "Context window",
  temperature: "Temperature",
  systemPrompt: "System prompt",
  supportsImages: "Can see pictures",
  active: "Active",
};

const TEXT_LIMITS = { name: 100, providerModelId: 191, description: 10_000, bestUseCases: 10_000, systemPrompt: 50_000 } as const;

/** The base URL in stored form (no trailing slash), or the sentence saying what is wrong with it. */
export function baseUrlProblem(raw: string): { url: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { problem: "Base URL must be a URL such as https://openrouter.ai/api/v1." };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: "Base URL must start with http:// or https://." };
  // Stored and shown in clear, and sent as Basic auth by some clients: the key has its own field.
  if (url.username || url.password) {
    return { problem: "Base URL must not contain a user name or password: put the provider's key in API key." };
  }
  return { url: url.toString().replace(/\/+$/, "") };
}

/**
 * Prices are stored as DECIMAL(65,30) on PostgreSQL and MySQL (35 digits before the point):
 * 1e300 does not fit there. A billion per million tokens is far beyond any real price.
 */
export const MAX_PRICE_PER_MTOK = 1_000_000_000;

/**
 * Validates the fields present in `input`; `creating` makes name, model id and URL
 * required. Returns the fields given, in storage form (key still plaintext), and every
 * problem found, by field, in the form's words; the caller may add its own (the URL
 * policy, which needs DNS) before refusing them all at once.
 */
export function readModelInput(input: ModelInput, creating: boolean): { fields: Record<string, unknown>; problems: Record<string, string> } {
  const out: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  const problem = (field: keyof ModelInput, sentence: string) => {
    problems[field] ??= `${MODEL_FIELD_LABELS[field]} ${sentence}`;
  };

  for (const field of ["name", "providerModelId", "baseUrl"] as const) {
    const value = input[field];
    if ((creating && value == null) || (value != null && value.trim() === "")) problem(field, "is required.");
  }
  for (const [field, max] of Object.entries(TEXT_LIMITS) as [keyof typeof TEXT_LIMITS, number][]) {
    const value = input[field];
    if (value == null || problems[field]) continue;
    const trimmed = value.trim();
    if (trimmed.length > max) problem(field, `must be at most ${max} characters (it has ${trimmed.length}).`);
    else out[field] = trimmed;
  }
  if (input.baseUrl != null && !problems.baseUrl) {
    const checked = baseUrlProblem(input.baseUrl);
    if ("problem" in checked) problems.baseUrl = checked.problem;
    else out.baseUrl = checked.url;
  }
  for (const field of ["inputCostPerMTok", "outputCostPerMTok"] as const) {
    const value = input[field];
    if (value == null) continue;
    if (!Number.isFinite(value) || value < 0) problem(field, "must be zero or more (dollars per 1M tokens).");
    else if (value > MAX_PRICE_PER_MTOK) problem(field, `must be at most ${MAX_PRICE_PER_MTOK} (dollars per 1M tokens).`);
    else out[field] = value;
  }
  if (input.maxTokens !== undefined) {
    if (input.maxTokens !== null && (!Number.isInteger(input.maxTokens) || input.maxTokens <= 0)) problem("maxTokens", "must be a positive whole number.");
    else out.maxTokens = input.maxTokens;
  }
  if (input.contextWindow !== undefined) {
    if (input.contextWindow !== null && (!Number.isInteger(input.contextWindow) || input.contextWindow < 256 || input.contextWindow > 10_000_000)) {
      problem("contextWindow", "must be a whole number of tokens between 256 and 10000000.");
    } else out.contextWindow = input.contextWindow;
  }
  if (input.temperature != null) {
    if (!Number.isFinite(input.temperature) || input.temperature < 0 || input.temperature > 2) problem("temperature", "must be between 0 and 2.");
    else out.temperature = input.temperature;
  }
  if (input.supportsImages != null) out.supportsImages = input.supportsImages;
  if (input.active != null) out.active = input.active;
  if (input.apiKey != null && input.apiKey.trim().length > 4096) problem("apiKey", "must be at most 4096 characters.");
  return { fields: out, problems };
}
