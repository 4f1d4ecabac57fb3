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

/**
 * One client per model configuration, reused by every call to that model: building an SDK
 * client (and decrypting the key) per request was work on every /v1 answer's path. Keyed by
 * the model's id and the caller's timeout; an entry is used only while the model's base URL,
 * stored key (its ciphertext, never the plaintext), network policy and server key are the
 * ones it was made with, and is replaced otherwise: a model whose key or URL changes gets a
 * new client at its next call. The decrypted key lives only inside the SDK client, as it did.
 */
interface CachedClient {
  baseUrl: string;
  apiKeyCiphertext: string | null;
  network: ProviderNetwork;
  secrets: SecretBox;
  client: OpenAI;
}
/** Enough for every model of a busy server; past it the least recently used goes. */
const MAX_CACHED_CLIENTS = 256;
const clients = new Map<string, CachedClient>();

export function providerClient(model: AiModel, secrets: SecretBox, timeoutMs: number, network: ProviderNetwork): OpenAI {
  // Callers with different timeouts (a reply, a title, speech) keep a client each.
  const key = `${model.id} ${timeoutMs}`;
  const cached = clients.get(key);
  if (
    cached &&
    cached.baseUrl === model.baseUrl &&
    cached.apiKeyCiphertext === model.apiKeyCiphertext &&
    cached.network === network &&
    cached.secrets === secrets
  ) {
    // Most recently used last: the oldest entry is the first the limit drops.
    clients.delete(key);
    clients.set(key, cached);
    return cached.client;
  }
  let apiKey: string | undefined;
  try {
    apiKey = revealApiKey(secrets, model);
  } catch {
    clients.delete(key);
    throw new KeyUnreadable();
  }
  const client = clientFor(model.baseUrl, apiKey, timeoutMs, network);
  clients.delete(key);
  clients.set(key, { baseUrl: model.baseUrl, apiKeyCiphertext: model.apiKeyCiphertext, network, secrets, client });
  if (clients.size > MAX_CACHED_CLIENTS) clients.delete(clients.keys().next().value!);
  return client;
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
