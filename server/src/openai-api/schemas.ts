/**
 * What the OpenAI-compatible API accepts, checked by hand so that every refusal names the
 * parameter as OpenAI's API does (`param`), in a sentence. Fields this server does not act
 * on and that change nothing for the client (`user`, `seed`, `logprobs: false`…) are ignored;
 * fields that would change the answer and cannot be honoured (tools, n > 1, remote images)
 * are refused rather than silently dropped.
 */
import { invalidInput } from "../errors.ts";
import { unstorableText } from "../text.ts";

export type ApiRole = "SYSTEM" | "USER" | "ASSISTANT";

/** A picture from a `data:` URL, not yet checked (attachments' checkImages does that). */
export interface ApiImage {
  bytes: Uint8Array<ArrayBuffer>;
}

export interface ApiMessage {
  role: ApiRole;
  /** The text parts, joined by a blank line (as stored). */
  text: string;
  images: ApiImage[];
}

export interface ChatCompletionRequest {
  model: string;
  messages: ApiMessage[];
  stream: boolean;
  includeUsage: boolean;
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
}

const ROLES: Record<string, ApiRole> = { system: "SYSTEM", developer: "SYSTEM", user: "USER", assistant: "ASSISTANT" };
/** Refused with a sentence: these change what the model does, and AIUI does not pass them on. */
const UNSUPPORTED = ["tools", "functions", "tool_choice", "function_call", "response_format", "audio", "modalities", "prediction"] as const;
const MAX_STOP_SEQUENCES = 4;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function dataUrlImage(url: unknown, param: string): ApiImage {
  if (typeof url !== "string") throw invalidInput(param, `${param} must be a string.`);
  const match = /^data:[^;,]*(;[^,]*)?,(.*)$/s.exec(url);
  if (!match) {
    throw invalidInput(param, `${param}: only data: URLs are accepted (data:image/jpeg;base64,…); AIUI does not fetch pictures from other addresses.`);
  }
  if (!match[1]?.includes("base64")) throw invalidInput(param, `${param}: the data: URL must be base64-encoded.`);
  return { bytes: new Uint8Array(Buffer.from(match[2]!, "base64")) };
}

/** Text the databases can store, or a 400 naming where it is. */
function storable(text: string, param: string): string {
  const problem = unstorableText(text);
  if (problem) throw invalidInput(param, `${param} ${problem}.`);
  return text;
}

function parseContent(content: unknown, role: ApiRole, param: string): { text: string; images: ApiImage[] } {
  if (typeof content === "string") return { text: storable(content, param), images: [] };
  if (!Array.isArray(content)) throw invalidInput(param, `${param} must be a string or an array of content parts.`);
  const texts: string[] = [];
  const images: ApiImage[] = [];
  content.forEach((part, index) => {
    const at = `${param}[${index}]`;
    if (!isObject(part)) throw invalidInput(at, `${at} must be an object with a type.`);
    if (part.type === "text") {
      if (typeof part.text !== "string") throw invalidInput(`${at}.text`, `${at}.text must be a string.`);
      texts.push(storable(part.text, `${at}.text`));
    } else if (part.type === "image_url") {
      if (role !== "USER") throw invalidInput(at, `${at}: only user messages may carry pictures.`);
      const imageUrl = part.image_url;
      images.push(dataUrlImage(isObject(imageUrl) ? imageUrl.url : imageUrl, `${at}.image_url.url`));
    } else {
      throw invalidInput(`${at}.type`, `${at}.type must be "text" or "image_url" (not ${JSON.stringify(part.type)}).`);
    }
  });
  return { text: texts.join("\n\n"), images };
}

function parseMessages(value: unknown): ApiMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidInput("messages", "messages must be a non-empty array.");
  const messages = value.map((message, index): ApiMessage => {
    const param = `messages[${index}]`;
    if (!isObject(message)) throw invalidInput(param, `${param} must be an object with a role and content.`);
    const role = typeof message.role === "string" ? ROLES[message.role] : undefined;
    if (!role) {
      throw invalidInput(`${param}.role`, `${param}.role must be one of system, developer, user, assistant (not ${JSON.stringify(message.role)}).`);
    }
    if (message.tool_calls !== undefined || message.function_call !== undefined) {
      throw invalidInput(`${param}.tool_calls`, "Tool calls are not supported by this server.");
    }
    return { role, ...parseContent(message.content ?? "", role, `${param}.content`) };
  });
  if (messages.at(-1)!.role !== "USER") {
    throw invalidInput(`messages[${messages.length - 1}].role`, "The last message must be the user's: it is the one answered.");
  }
  return messages;
}

function optionalNumber(body: Record<string, unknown>, name: string, min: number, max: number, integer: boolean): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw invalidInput(name, `${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}.`);
  }
  return value;
}

function parseStop(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length > MAX_STOP_SEQUENCES || list.some((item) => typeof item !== "string" || item === "" || unstorableText(item))) {
    throw invalidInput("stop", `stop must be a string or an array of at most ${MAX_STOP_SEQUENCES} non-empty strings of well-formed text.`);
  }
  return list as string[];
}

export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  if (!isObject(body)) throw invalidInput("body", "The request body must be a JSON object.");
  if (typeof body.model !== "string" || body.model.trim() === "") {
    throw invalidInput("model", "model must name one of your models (GET /v1/models lists them).");
  }
  for (const name of UNSUPPORTED) {
    if (body[name] !== undefined && body[name] !== null) throw invalidInput(name, `${name} is not supported by this server.`);
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw invalidInput("n", "n must be 1: this server answers with one choice.");
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") throw invalidInput("stream", "stream must be true or false.");
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) {
    throw invalidInput("stream_options", "stream_options must be an object.");
  }
  const maxTokens = optionalNumber(body, "max_completion_tokens", 1, 2_147_483_647, true) ?? optionalNumber(body, "max_tokens", 1, 2_147_483_647, true);
  return {
    model: storable(body.model.trim(), "model"),
    messages: parseMessages(body.messages),
    stream: body.stream === true,
    includeUsage: isObject(streamOptions) && streamOptions.include_usage === true,
    temperature: optionalNumber(body, "temperature", 0, 2, false),
    maxTokens,
    stop: parseStop(body.stop),
  };
}

export const TRANSCRIPTION_FORMATS = ["json", "text", "verbose_json"] as const;
export type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];
/** OpenAI's own limit for an uploaded recording. */
export const MAX_TRANSCRIPTION_BYTES = 25 * 1024 * 1024;

export interface TranscriptionRequest {
  audio: Uint8Array;
  format: TranscriptionFormat;
  language?: string;
}

export async function parseTranscriptionRequest(form: FormData): Promise<TranscriptionRequest> {
  const file = form.get("file");
  if (!(file instanceof Blob)) throw invalidInput("file", "file must be an audio file (multipart/form-data field \"file\").");
  if (file.size > MAX_TRANSCRIPTION_BYTES) {
    throw invalidInput("file", `file is ${(file.size / 1048576).toFixed(1)} MB; a recording may be at most ${MAX_TRANSCRIPTION_BYTES / 1048576} MB.`);
  }
  const model = form.get("model");
  if (typeof model !== "string" || model.trim() === "") throw invalidInput("model", "model is required (any name, e.g. whisper-1: the server's speech recognition answers).");
  const format = form.get("response_format") ?? "json";
  if (typeof format !== "string" || !(TRANSCRIPTION_FORMATS as readonly string[]).includes(format)) {
    throw invalidInput("response_format", `response_format must be one of ${TRANSCRIPTION_FORMATS.join(", ")}.`);
  }
  const language = form.get("language");
  if (language !== null && (typeof language !== "string" || !/^[a-zA-Z-]{0,20}$/.test(language))) {
    throw invalidInput("language", "language must be a language code such as en.");
  }
  return { audio: new Uint8Array(await file.arrayBuffer()), format: format as TranscriptionFormat, ...(language ? { language } : {}) };
}
