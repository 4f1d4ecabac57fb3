/**
 * One non-streaming answer from a user's model, for callers that wait for the whole
 * answer anyway (the glasses: the Noa app shows it at once), plus spoken answers
 * through the provider's /audio/speech. Failures become a `ProviderFailure` with a
 * sentence the user can act on.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { SecretBox } from "../crypto/secret-box.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import type { ProviderNetwork } from "../egress/index.ts";
import { estimateTokens } from "./conversation.ts";
import { KeyUnreadable, providerClient } from "./provider-client.ts";
import { describeProviderError } from "./provider-errors.ts";
import { storableUsage } from "./usage.ts";

export class ProviderFailure extends Error {
  override name = "ProviderFailure";
}

export interface Answer {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** True when the provider reported no usage and the counts are our estimate. */
  usageEstimated: boolean;
  ms: number;
}

export interface AskOptions {
  temperature: number;
  maxTokens: number | null;
  timeoutMs: number;
  /** Where the model may connect (PROVIDER_* settings). */
  network: ProviderNetwork;
}

/** A failure in words the user can act on; the key is never part of it. */
function describe(error: unknown, model: AiModel, timeoutMs: number): string {
  if (error instanceof KeyUnreadable) return error.message;
  return describeProviderError(error, model, { firstTokenTimeoutMs: timeoutMs, idleTimeoutMs: timeoutMs });
}

export async function askModel(model: AiModel, secrets: SecretBox, messages: ChatCompletionMessageParam[], options: AskOptions): Promise<Answer> {
  const started = performance.now();
  try {
    const completion = await providerClient(model, secrets, options.timeoutMs, options.network).chat.completions.create({
      model: model.providerModelId,
      messages,
      temperature: options.temperature,
      ...(options.maxTokens ? { max_tokens: options.maxTokens } : {}),
    });
    const text = completion.choices[0]?.message?.content ?? "";
    const usage = storableUsage(completion.usage);
    const promptText = messages.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))).join("\n");
    return {
      text,
      promptTokens: usage?.prompt_tokens ?? estimateTokens(promptText),
      completionTokens: usage?.completion_tokens ?? estimateTokens(text),
      usageEstimated: !usage,
      ms: Math.round(performance.now() - started),
    };
  } catch (error) {
    throw new ProviderFailure(describe(error, model, options.timeoutMs));
  }
}

/** MP3 of `text` from the model's provider; null (and the reason) when it cannot speak. */
export async function speak(
  model: AiModel,
  secrets: SecretBox,
  text: string,
  voice: { model: string; voice: string; timeoutMs: number; network: ProviderNetwork },
): Promise<{ mp3: Uint8Array | null; error?: string }> {
  try {
    const response = await providerClient(model, secrets, voice.timeoutMs, voice.network).audio.speech.create({
      model: voice.model,
      voice: voice.voice,
      input: text,
      response_format: "mp3",
    });
    const mp3 = new Uint8Array(await response.arrayBuffer());
    // The app base64-decodes and plays whatever comes: only MP3 may go there, not an error page.
    if (!looksLikeMp3(mp3)) {
      const type = response.headers.get("content-type") || "no content type";
      return { mp3: null, error: `The provider's speech endpoint answered with something that is not MP3 audio (${type}, ${mp3.byteLength} bytes).` };
    }
    return { mp3 };
  } catch (error) {
    return { mp3: null, error: describe(error, model, voice.timeoutMs) };
  }
}

/** An ID3 tag, or an MPEG audio frame header (11 sync bits), at the start. */
function looksLikeMp3(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) return true;
  return bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0;
}
