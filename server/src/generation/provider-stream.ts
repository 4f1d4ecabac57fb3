/**
 * The chunks of a streamed chat completion, read from the provider's response body.
 *
 * The request itself goes through the `openai` SDK (`.asResponse()`: its URL building,
 * headers, retries, timeout, and its errors for a non-2xx answer); only the reading of the
 * event stream is ours. The SDK reads it through four nested async iterators (bytes →
 * lines → server-sent events → JSON), several promise jobs per token; at 200 concurrent
 * streams that cost 46–48 µs of CPU per token on the server's one thread against 29–36 µs
 * here (docs/decisions/0024-provider-stream-reading.md).
 *
 * What the SDK's `Stream` does is kept (tests/streaming/provider-stream.test.ts reads the
 * same bytes with both): events are separated by blank lines (\n, \r\n or \r line ends),
 * `data:` lines join with "\n", comments (`:`) and other fields are skipped, an event cut
 * off by the end of the body is dropped, `[DONE]` ends the data, a payload with `error`
 * throws the SDK's `APIError`, a payload that is not JSON throws. Nothing is buffered
 * beyond the current event's lines.
 */
import { APIError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";

const LF = 10;
const CR = 13;

export async function* chatCompletionChunks(response: Response): AsyncGenerator<ChatCompletionChunk> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  /** The previous piece ended with \r: a \n starting the next one belongs to that line end. */
  let afterCR = false;
  let data: string[] = [];
  let finished = false;

  /** The payload of the event that just ended, if any (its `data:` lines joined). */
  const takeData = (): string | null => {
    if (data.length === 0) return null;
    const joined = data.length === 1 ? data[0]! : data.join("\n");
    data = [];
    return joined;
  };
  /** One line of the stream; returns an event's payload when the line ends one. */
  const onLine = (line: string): string | null => {
    if (line === "") return takeData();
    if (line.charCodeAt(0) === 58 /* ":" comment */) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== "data") return null;
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    data.push(value);
    return null;
  };
  const parse = (payload: string): ChatCompletionChunk | null => {
    if (finished) return null;
    if (payload.startsWith("[DONE]")) {
      finished = true;
      return null;
    }
    const chunk = JSON.parse(payload) as ChatCompletionChunk & { error?: unknown };
    if (chunk?.error) throw new APIError(undefined, chunk.error as object, undefined, response.headers);
    return chunk;
  };

  let done = false;
  try {
    for (;;) {
      const read = await reader.read();
      if (read.done) break;
      let text = pending + decoder.decode(read.value, { stream: true });
      if (afterCR && text.charCodeAt(0) === LF) text = text.slice(1);
      afterCR = false;
      let start = 0;
      const hasCR = text.includes("\r");
      for (;;) {
        let end = text.indexOf("\n", start);
        if (hasCR) {
          const cr = text.indexOf("\r", start);
          if (cr !== -1 && (end === -1 || cr < end)) end = cr;
        }
        if (end === -1) break;
        const line = text.slice(start, end);
        start = end + 1;
        if (text.charCodeAt(end) === CR) {
          if (start === text.length) afterCR = true;
          else if (text.charCodeAt(start) === LF) start++;
        }
        const payload = onLine(line);
        if (payload !== null) {
          const chunk = parse(payload);
          if (chunk) yield chunk;
        }
      }
      pending = start === 0 ? text : text.slice(start);
    }
    // An event the body ended in the middle of (before its blank line) is dropped, as the
    // event-stream format says and the SDK does.
    done = true;
  } finally {
    // The consumer stopped early (or reading failed): let go of the connection.
    if (!done) await reader.cancel().catch(() => {});
  }
}
