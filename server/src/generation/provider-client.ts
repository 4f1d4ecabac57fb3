/**
 * The `openai` SDK client for one call to a user's model: its base URL and its key,
 * decrypted for this call only. Shared by streaming replies and the glasses route.
 */
import OpenAI from "openai";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import { type ProviderNetwork, providerFetch } from "../egress/index.ts";
import { revealApiKey } from "../models/index.ts";
import { ProviderNotAnApi } from "./provider-errors.ts";

/** The stored key cannot be decrypted with this server's key. */
export class KeyUnreadable extends Error {
  constructor() {
    super("The model's API key could not be decrypted (was the server's ENCRYPTION_KEY changed?). Enter the key again.");
    this.name = "KeyUnreadable";
  }
}

/**
 * What an answer from `path` may be: chat completions are JSON or an event stream; nothing is
 * a web page. An answer without a content type is left to the SDK to read.
 */
function isApiAnswer(path: string, contentType: string): boolean {
  if (contentType === "") return true;
  if (/\/chat\/completions$/.test(path)) return /^(application\/json|text\/event-stream)/i.test(contentType);
  return !/^(text\/html|application\/xhtml)/i.test(contentType);
}

/** The policy's fetch (egress/), plus: a 2xx that is not an API answer is the wrong base URL, said plainly. */
function apiFetch(network: ProviderNetwork): typeof fetch {
  const guarded = providerFetch(network);
  const checked = async (input: string | URL | Request, init?: RequestInit) => {
    const response = await guarded(input, init);
    const contentType = response.headers.get("content-type") ?? "";
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (response.ok && !isApiAnswer(url.pathname, contentType)) {
      await response.body?.cancel().catch(() => {});
      throw new ProviderNotAnApi(url.host, contentType.split(";")[0]!.trim());
    }
    return response;
  };
  return checked as typeof fetch;
}

export function providerClient(model: AiModel, secrets: SecretBox, timeoutMs: number, network: ProviderNetwork): OpenAI {
  let apiKey: string | undefined;
  try {
    apiKey = revealApiKey(secrets, model);
  } catch {
    throw new KeyUnreadable();
  }
  return clientFor(model.baseUrl, apiKey, timeoutMs, network);
}

/** A client for an endpoint and a plaintext key (none: no Authorization header), held to the URL policy. */
export function clientFor(baseUrl: string, apiKey: string | undefined, timeoutMs: number, network: ProviderNetwork): OpenAI {
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
    // Where the request may go, checked at connection time (docs/decisions/0009-provider-url-policy.md).
    fetch: apiFetch(network),
  });
}
