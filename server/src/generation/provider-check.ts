/**
 * "Test connection" and "Fetch models" on the models page: ask the provider for its model
 * list (GET {baseUrl}/models), and where it has none, for a one-token answer; say what
 * happened in words a user can act on. Works on a form's values before they are saved.
 */
import OpenAI from "openai";
import type { ProviderNetwork } from "../egress/index.ts";
import { clientFor } from "./provider-client.ts";
import { describeProviderError } from "./provider-errors.ts";

export interface ConnectionTarget {
  baseUrl: string;
  /** Plaintext, for this call only; undefined: no key. */
  apiKey: string | undefined;
  /** The model to look for (and to ask, when there is no list); empty: any. */
  providerModelId: string;
}

export interface ConnectionCheck {
  ok: boolean;
  message: string;
  /** The provider's model ids, sorted; empty when it has no list. */
  modelIds: string[];
}

/** A test button must answer within a few seconds, whatever the reply timeouts are. */
export const CONNECTION_CHECK_TIMEOUT_MS = 15_000;

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const noList = (error: unknown) => error instanceof OpenAI.APIError && (error.status === 404 || error.status === 405);

async function listModels(client: OpenAI): Promise<string[]> {
  const ids: string[] = [];
  for await (const model of client.models.list()) {
    if (typeof model.id === "string") ids.push(model.id);
    if (ids.length >= 5000) break;
  }
  return ids.sort((a, b) => a.localeCompare(b));
}

/** `network`: where models may connect (egress/); a refused address is said like any failure to connect. */
export async function checkConnection(target: ConnectionTarget, network: ProviderNetwork, timeoutMs = CONNECTION_CHECK_TIMEOUT_MS): Promise<ConnectionCheck> {
  const host = hostOf(target.baseUrl);
  const client = clientFor(target.baseUrl, target.apiKey, timeoutMs, network);
  const timeouts = { firstTokenTimeoutMs: timeoutMs, idleTimeoutMs: timeoutMs };
  const wanted = target.providerModelId.trim();
  try {
    const modelIds = await listModels(client);
    if (!wanted) return { ok: true, message: `Connected to ${host}: it offers ${plural(modelIds.length, "model")}.`, modelIds };
    if (modelIds.length === 0 || modelIds.includes(wanted)) {
      return { ok: true, message: `Connected to ${host}: the model "${wanted}" is available.`, modelIds };
    }
    return {
      ok: false,
      message: `Connected to ${host}, but it does not offer the model "${wanted}". Check the model id (it offers ${plural(modelIds.length, "model")}: Fetch models lists them).`,
      modelIds,
    };
  } catch (error) {
    if (!noList(error)) return { ok: false, message: describeProviderError(error, { baseUrl: target.baseUrl, providerModelId: wanted }, timeouts), modelIds: [] };
  }
  // No model list here: a one-token answer shows whether the model is reachable.
  if (!wanted) return { ok: false, message: `${host} has no model list: enter the model id and test again.`, modelIds: [] };
  try {
    await client.chat.completions.create({ model: wanted, messages: [{ role: "user", content: "Say OK." }], max_tokens: 1 });
    return { ok: true, message: `Connected to ${host}: the model "${wanted}" answered.`, modelIds: [] };
  } catch (error) {
    return { ok: false, message: describeProviderError(error, { baseUrl: target.baseUrl, providerModelId: wanted }, timeouts), modelIds: [] };
  }
}
