/**
 * The `openai` SDK client for one call to a user's model: its base URL and its key,
 * decrypted for this call only. Shared by streaming replies and the glasses route.
 */
import OpenAI from "openai";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import { revealApiKey } from "../models/index.ts";

/** The stored key cannot be decrypted with this server's key. */
export class KeyUnreadable extends Error {
  constructor() {
    super("The model's API key could not be decrypted (was the server's ENCRYPTION_KEY changed?). Enter the key again.");
    this.name = "KeyUnreadable";
  }
}

export function providerClient(model: AiModel, secrets: SecretBox, timeoutMs: number): OpenAI {
  let apiKey: string | undefined;
  try {
    apiKey = revealApiKey(secrets, model);
  } catch {
    throw new KeyUnreadable();
  }
  return clientFor(model.baseUrl, apiKey, timeoutMs);
}

/** A client for an endpoint and a plaintext key (none: no Authorization header). */
export function clientFor(baseUrl: string, apiKey: string | undefined, timeoutMs: number): OpenAI {
  // Everything explicit, so the SDK reads no OPENAI_* variable from the environment.
  return new OpenAI({
    baseURL: baseUrl,
    apiKey: apiKey ?? "unused",
    // A model without a key (a local server) gets no Authorization header at all.
    defaultHeaders: apiKey ? undefined : { Authorization: null },
    organization: null,
    project: null,
    webhookSecret: null,
    logLevel: "off",
    maxRetries: 0,
    timeout: timeoutMs,
  });
}
