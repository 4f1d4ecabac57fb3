/**
 * The Noa app's multipart request (see docs/noa-app.md), parsed and
 * validated into a typed value. Every rejection names the field and what to send.
 */
// Pictures follow the same rule as those sent in the web UI.
import { imageMimeType, MAX_IMAGE_BYTES } from "../attachments/index.ts";
import { AppError, httpStatusOf } from "../errors.ts";
import { unstorableText } from "../text.ts";

export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
/** The app's history: it never trims it, so it may be long; the context rule trims it instead. */
export const MAX_HISTORY_BYTES = 10 * 1024 * 1024;
const MAX_TEXT_FIELD_CHARS = 200_000;
/** The most a request body may hold: the files, the history and the small text fields, with room for the form's framing. */
export const MAX_BODY_BYTES = MAX_AUDIO_BYTES + MAX_IMAGE_BYTES + MAX_HISTORY_BYTES + 4 * MAX_TEXT_FIELD_CHARS + 64 * 1024;
const tooBig = () =>
  new GlassesHttpError(413, `The request is larger than ${Math.round(MAX_BODY_BYTES / 1048576)} MB: audio may be 25 MB, the image 10 MB and the history 10 MB.`);

export interface HistoryMessage {
  role: "user" | "assistant";
  content: string;
}

export interface GlassesRequest {
  audio: Uint8Array | null;
  image: { bytes: Uint8Array<ArrayBuffer>; mimeType: string } | null;
  /** Why a picture that came was left out (it was incomplete), or null. */
  imageProblem: string | null;
  history: HistoryMessage[];
  /** Free-text address, or "" when the phone shares no location. */
  location: string;
  /** The phone's local time as sent (Dart format, no zone), or "" (also when it was unreadable: it is only context). */
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

function textField(form: FormData, name: string, maxChars = MAX_TEXT_FIELD_CHARS): string {
  const value = form.get(name);
  if (value === null) return "";
  if (typeof value !== "string") throw bad(`${name} must be a text field, not a file.`);
  if (value.length > maxChars) throw new GlassesHttpError(413, `${name} is longer than ${maxChars} characters.`);
  const unstorable = unstorableText(value);
  if (unstorable) throw bad(`${name} ${unstorable}.`);
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
  return parsed.map((entry, index) => {
    const { role, content } = (entry ?? {}) as { role?: unknown; content?: unknown };
    // The app maps its own system role to "user"; accept "system" from other clients the same way.
    if (role !== "user" && role !== "assistant" && role !== "system") {
      throw bad(`messages[${index}].role must be "user" or "assistant".`);
    }
    if (typeof content !== "string") throw bad(`messages[${index}].content must be a string.`);
    // JSON escapes can spell what the form's UTF-8 cannot: an unpaired surrogate ("\ud800").
    const unstorable = unstorableText(content);
    if (unstorable) throw bad(`messages[${index}].content ${unstorable}.`);
    return { role: role === "assistant" ? "assistant" : "user", content };
  });
}

const DART_OR_ISO_LOCAL_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The Content-Length the client declared, or null (chunked, or not a number). */
function declaredLength(request: Request): number | null {
  const header = request.headers.get("content-length");
  const length = header === null || header.trim() === "" ? Number.NaN : Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** The request, refused (413) when its declared length is over MAX_BODY_BYTES. */
function bodyWithinLimit(request: Request): Request {
  if ((declaredLength(request) ?? 0) > MAX_BODY_BYTES) throw tooBig();
  return request;
}

/**
 * The body, read by us up to MAX_BODY_BYTES: a declared Content-Length over it is refused
 * before reading, and a chunked upload that grows past it is cut off with the same JSON
 * 413 (rather than Bun's empty one at its own, higher limit).
 */
async function readBody(request: Request): Promise<Uint8Array<ArrayBuffer>> {
  if ((declaredLength(request) ?? 0) > MAX_BODY_BYTES) throw tooBig();
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => {});
        throw tooBig();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof GlassesHttpError) throw error;
    throw bad("The request body could not be read: the upload broke off.");
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/**
 * A picture is complete when its format's end marker is there: JPEG's EOI (FF D9, maybe
 * followed by padding), PNG's IEND chunk, WebP's RIFF size. A picture cut short in
 * transfer would otherwise be stored and sent to the model half grey.
 */
function imageComplete(bytes: Uint8Array, mimeType: string): boolean {
  if (mimeType === "image/jpeg") {
    let end = bytes.length;
    while (end > 2 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0xff) && !(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9)) end--;
    return end >= 4 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
  }
  if (mimeType === "image/png") {
    const iend = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
    return bytes.length >= 20 && iend.every((b, i) => bytes[bytes.length - 8 + i] === b);
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  return bytes.length >= 12 && declared + 8 <= bytes.length;
}

/** Reads and checks the form. */
export async function parseGlassesRequest(request: Request): Promise<GlassesRequest> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.includes("multipart/form-data") && !contentType.includes("application/x-www-form-urlencoded")) {
    throw bad("Send the request as multipart/form-data with the fields audio, image, messages, location and time.");
  }
  let form: FormData;
  try {
    // A declared length is what HTTP delivers (and at most MAX_BODY_BYTES, checked first): the
    // form is parsed from the body as it arrives, without our reading and copying it first.
    // Without one (chunked), we read it ourselves to cut it off at the limit.
    form = declaredLength(request) !== null
      ? await bodyWithinLimit(request).formData()
      : await new Response(await readBody(request), { headers: { "content-type": contentType } }).formData();
  } catch (error) {
    if (error instanceof GlassesHttpError) throw error;
    throw bad("The multipart body could not be read: it is truncated or malformed.");
  }
  const audio = await fileField(form, "audio", MAX_AUDIO_BYTES);
  const imageBytes = await fileField(form, "image", MAX_IMAGE_BYTES);
  let image: GlassesRequest["image"] = null;
  let imageProblem: string | null = null;
  if (imageBytes) {
    const mimeType = imageMimeType(imageBytes);
    if (!mimeType) throw bad("The file image is not a JPEG, PNG or WebP picture (or it is corrupt).");
    // An incomplete picture is left out, not refused: the app cannot send it again, and the question still deserves an answer.
    if (imageComplete(imageBytes, mimeType)) image = { bytes: imageBytes, mimeType };
    else imageProblem = "The picture arrived incomplete and was left out.";
  }
  // Only context for the model: a time in another format is left out rather than failing the
  // request. Text that no field may hold (NUL, a lone surrogate) is refused like in the others.
  const sentTime = textField(form, "time").trim();
  const localTime = DART_OR_ISO_LOCAL_TIME.test(sentTime) ? sentTime : "";
  const prompt = textField(form, "prompt").trim();
  if (!audio && prompt === "") throw bad("Send a recording in the field audio (WAV) or a text prompt in the field prompt.");
  return {
    audio,
    image,
    imageProblem,
    history: parseHistory(textField(form, "messages", MAX_HISTORY_BYTES)),
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
