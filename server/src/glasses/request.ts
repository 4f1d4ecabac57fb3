/**
 * The Noa app's multipart request (see docs/noa-app.md), parsed and
 * validated into a typed value. Every rejection names the field and what to send.
 */
// Pictures follow the same rule as those sent in the web UI.
import { imageMimeType, MAX_IMAGE_BYTES } from "../attachments/index.ts";
import { AppError, httpStatusOf } from "../errors.ts";

export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
const MAX_TEXT_FIELD_CHARS = 200_000;
const MAX_HISTORY_MESSAGES = 200;

export interface HistoryMessage {
  role: "user" | "assistant";
  content: string;
}

export interface GlassesRequest {
  audio: Uint8Array | null;
  image: { bytes: Uint8Array<ArrayBuffer>; mimeType: string } | null;
  history: HistoryMessage[];
  /** Free-text address, or "" when the phone shares no location. */
  location: string;
  /** The phone's local time as sent (Dart format, no zone), or "". */
  localTime: string;
  /** Typed text from curl users and other clients; goes before the transcript. */
  prompt: string;
}

/** An HTTP answer for the glasses route: status plus a `detail` sentence. */
export class GlassesHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "GlassesHttpError";
  }
}

const bad = (detail: string) => new GlassesHttpError(400, detail);

function textField(form: FormData, name: string): string {
  const value = form.get(name);
  if (value === null) return "";
  if (typeof value !== "string") throw bad(`${name} must be a text field, not a file.`);
  if (value.length > MAX_TEXT_FIELD_CHARS) throw new GlassesHttpError(413, `${name} is longer than ${MAX_TEXT_FIELD_CHARS} characters.`);
  return value;
}

async function fileField(form: FormData, name: string, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const value = form.get(name);
  if (value === null || value === "") return null;
  if (typeof value === "string") throw bad(`${name} must be an uploaded file.`);
  if (value.size > maxBytes) {
    throw new GlassesHttpError(413, `${name} is ${(value.size / 1048576).toFixed(1)} MB; the limit is ${maxBytes / 1048576} MB.`);
  }
  return new Uint8Array(await value.arrayBuffer());
}

export function parseHistory(raw: string): HistoryMessage[] {
  if (raw.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw bad('messages must be a JSON array like [{"role":"user","content":"…"}].');
  }
  if (!Array.isArray(parsed)) throw bad('messages must be a JSON array like [{"role":"user","content":"…"}].');
  if (parsed.length > MAX_HISTORY_MESSAGES) throw new GlassesHttpError(413, `messages holds more than ${MAX_HISTORY_MESSAGES} entries.`);
  return parsed.map((entry, index) => {
    const { role, content } = (entry ?? {}) as { role?: unknown; content?: unknown };
    // The app maps its own system role to "user"; accept "system" from other clients the same way.
    if (role !== "user" && role !== "assistant" && role !== "system") {
      throw bad(`messages[${index}].role must be "user" or "assistant".`);
    }
    if (typeof content !== "string") throw bad(`messages[${index}].content must be a string.`);
    return { role: role === "assistant" ? "assistant" : "user", content };
  });
}

const DART_OR_ISO_LOCAL_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Reads and checks the form; a declared Content-Length over the limits is refused before the body is read. */
export async function parseGlassesRequest(request: Request): Promise<GlassesRequest> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.includes("multipart/form-data") && !contentType.includes("application/x-www-form-urlencoded")) {
    throw bad("Send the request as multipart/form-data with the fields audio, image, messages, location and time.");
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_AUDIO_BYTES + MAX_IMAGE_BYTES + 2 * MAX_TEXT_FIELD_CHARS) {
    throw new GlassesHttpError(413, `The request is ${(declared / 1048576).toFixed(1)} MB; audio may be 25 MB and the image 10 MB.`);
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw bad("The multipart body could not be read: it is truncated or malformed.");
  }
  const audio = await fileField(form, "audio", MAX_AUDIO_BYTES);
  const imageBytes = await fileField(form, "image", MAX_IMAGE_BYTES);
  let image: GlassesRequest["image"] = null;
  if (imageBytes) {
    const mimeType = imageMimeType(imageBytes);
    if (!mimeType) throw bad("The file image is not a JPEG, PNG or WebP picture (or it is corrupt).");
    image = { bytes: imageBytes, mimeType };
  }
  const localTime = textField(form, "time").trim();
  if (localTime !== "" && !DART_OR_ISO_LOCAL_TIME.test(localTime)) {
    throw bad("time must be the local time like 2025-07-02 11:29:48.054846.");
  }
  const prompt = textField(form, "prompt").trim();
  if (!audio && prompt === "") throw bad("Send a recording in the field audio (WAV) or a text prompt in the field prompt.");
  return {
    audio,
    image,
    history: parseHistory(textField(form, "messages")),
    location: textField(form, "location").trim(),
    localTime,
    prompt,
  };
}

/** Maps an error raised while answering to the route's status and detail. */
export function asGlassesHttpError(error: unknown): GlassesHttpError | null {
  if (error instanceof GlassesHttpError) return error;
  if (error instanceof AppError) {
    return new GlassesHttpError(httpStatusOf[error.code], error.message);
  }
  return null;
}
