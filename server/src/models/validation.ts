/** Input rules for AI model definitions; each failure names its field. */
import { invalidInput } from "../errors.ts";

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

function text(field: string, value: string, max: number, required: boolean): string {
  const trimmed = value.trim();
  if (required && trimmed === "") throw invalidInput(field, `${field} must not be empty.`);
  if (trimmed.length > max) throw invalidInput(field, `${field} must be at most ${max} characters.`);
  return trimmed;
}

export function checkBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalidInput("baseUrl", "baseUrl must be a URL such as https://openrouter.ai/api/v1.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidInput("baseUrl", "baseUrl must start with http:// or https://.");
  }
  // Stored and shown in clear, and sent as Basic auth by some clients: the key has its own field.
  if (url.username || url.password) {
    throw invalidInput("baseUrl", "baseUrl must not contain a user name or password: put the provider's key in apiKey.");
  }
  return url.toString().replace(/\/+$/, "");
}

/**
 * Prices are stored as DECIMAL(65,30) on PostgreSQL and MySQL (35 digits before the point):
 * 1e300 does not fit there. A billion per million tokens is far beyond any real price.
 */
export const MAX_PRICE_PER_MTOK = 1_000_000_000;

function cost(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > MAX_PRICE_PER_MTOK) {
    throw invalidInput(field, `${field} must be zero or more, at most ${MAX_PRICE_PER_MTOK} (price per 1M tokens).`);
  }
  return value;
}

/**
 * Validates the fields present in `input`; `creating` makes name, model id and URL
 * required. Returns only the fields given, in storage form (key still plaintext).
 */
export function checkModelInput(input: ModelInput, creating: boolean) {
  const out: Record<string, unknown> = {};
  for (const field of ["name", "providerModelId", "baseUrl"] as const) {
    if (creating && (input[field] == null || input[field]!.trim() === "")) {
      throw invalidInput(field, `${field} is required.`);
    }
  }
  if (input.name != null) out.name = text("name", input.name, 100, true);
  if (input.providerModelId != null) out.providerModelId = text("providerModelId", input.providerModelId, 191, true);
  if (input.baseUrl != null) out.baseUrl = checkBaseUrl(input.baseUrl);
  if (input.description != null) out.description = text("description", input.description, 10_000, false);
  if (input.bestUseCases != null) out.bestUseCases = text("bestUseCases", input.bestUseCases, 10_000, false);
  if (input.systemPrompt != null) out.systemPrompt = text("systemPrompt", input.systemPrompt, 50_000, false);
  if (input.inputCostPerMTok != null) out.inputCostPerMTok = cost("inputCostPerMTok", input.inputCostPerMTok);
  if (input.outputCostPerMTok != null) out.outputCostPerMTok = cost("outputCostPerMTok", input.outputCostPerMTok);
  if (input.maxTokens !== undefined) {
    if (input.maxTokens !== null && (!Number.isInteger(input.maxTokens) || input.maxTokens <= 0)) {
      throw invalidInput("maxTokens", "maxTokens must be a positive whole number.");
    }
    out.maxTokens = input.maxTokens;
  }
  if (input.contextWindow !== undefined) {
    if (input.contextWindow !== null && (!Number.isInteger(input.contextWindow) || input.contextWindow < 256 || input.contextWindow > 10_000_000)) {
      throw invalidInput("contextWindow", "contextWindow must be a whole number of tokens between 256 and 10000000.");
    }
    out.contextWindow = input.contextWindow;
  }
  if (input.temperature != null) {
    if (!Number.isFinite(input.temperature) || input.temperature < 0 || input.temperature > 2) {
      throw invalidInput("temperature", "temperature must be between 0 and 2.");
    }
    out.temperature = input.temperature;
  }
  if (input.supportsImages != null) out.supportsImages = input.supportsImages;
  if (input.active != null) out.active = input.active;
  if (input.apiKey != null && input.apiKey.trim().length > 4096) {
    throw invalidInput("apiKey", "apiKey must be at most 4096 characters.");
  }
  return out;
}
