/**
 * Reading a provider's chat completion stream (generation/provider-stream.ts) gives what the
 * `openai` SDK's own reader gives for the same bytes: each stream below is read by both, cut
 * into pieces at every position (a UTF-8 character or a \r\n split between pieces
 * included), and the chunks, or the error, must be the same.
 */
import { describe, expect, test } from "bun:test";
import { APIError } from "openai";
import { Stream } from "openai/core/streaming";
import { chatCompletionChunks } from "../../server/src/generation/provider-stream.ts";

const chunk = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });

/** A response whose body arrives as `pieces`. */
function responseOf(pieces: Uint8Array[], onCancel?: () => void): Response {
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < pieces.length) controller.enqueue(pieces[next++]!);
      else controller.close();
    },
    cancel: onCancel,
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

type Outcome = { chunks: unknown[]; error: { type: string; message: string; status?: number; code?: unknown } | null };

async function readWith(read: (response: Response) => AsyncIterable<unknown>, pieces: Uint8Array[]): Promise<Outcome> {
  const chunks: unknown[] = [];
  try {
    for await (const item of read(responseOf(pieces))) chunks.push(item);
    return { chunks, error: null };
  } catch (error) {
    const e = error as Error & { status?: number; code?: unknown };
    return { chunks, error: { type: e instanceof APIError ? "APIError" : e.name, message: e.message, status: e.status, code: e.code } };
  }
}

const ours = (response: Response) => chatCompletionChunks(response);
// The SDK's reader as the SDK uses it for chat completions (quiet: its parse failures log).
const sdks = (response: Response) => Stream.fromSSEResponse(response, new AbortController(), { error() {}, warn() {}, info() {}, debug() {} } as never);

/** Every way of cutting `text` into two pieces, and one piece per byte. */
function cuts(text: string): Uint8Array[][] {
  const bytes = new TextEncoder().encode(text);
  const ways: Uint8Array[][] = [[bytes]];
  for (let at = 1; at < bytes.length; at++) ways.push([bytes.subarray(0, at), bytes.subarray(at)]);
  ways.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  return ways;
}

const streams: Record<string, string> = {
  "plain \\n line ends, [DONE] at the end": `data: ${chunk("Hel")}\n\ndata: ${chunk("lo")}\n\ndata: [DONE]\n\n`,
  "\\r\\n line ends": `data: ${chunk("Bon")}\r\n\r\ndata: ${chunk("jour")}\r\n\r\ndata: [DONE]\r\n\r\n`,
  "lone \\r line ends": `data: ${chunk("a")}\r\rdata: ${chunk("b")}\r\r`,
  "comments, event and id fields, a field without a colon, no space after the colon": `: keep-alive\n\nevent: message\nid: 7\nretry\ndata:${chunk("x")}\n\n: another\ndata: ${chunk("y")}\n\n`,
  "data split over several lines (joined with \\n, valid JSON)": `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",\ndata: "choices":[{"index":0,"delta":{"content":"z"},"finish_reason":null}]}\n\n`,
  "multi-byte characters (é, 日本, an emoji)": `data: ${chunk("é日本")}\n\ndata: ${chunk("🙂")}\n\n`,
  "the body ending in the middle of an event (it is dropped)": `data: ${chunk("one")}\n\ndata: ${chunk("two")}`,
  "events after [DONE] are ignored": `data: ${chunk("kept")}\n\ndata: [DONE]\n\ndata: ${chunk("dropped")}\n\n`,
  "usage in the last chunk": `data: ${chunk("u")}\n\ndata: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })}\n\ndata: [DONE]\n\n`,
  "an error payload midway": `data: ${chunk("partial")}\n\ndata: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}\n\ndata: ${chunk("never")}\n\n`,
  "an error event": `data: ${chunk("p")}\n\nevent: error\ndata: {"error":{"message":"Overloaded","type":"server_error","code":null}}\n\n`,
  "a payload that is not JSON": `data: ${chunk("p")}\n\ndata: {not json\n\n`,
  "an empty body": "",
  "only comments": ": ping\n\n: ping\n\n",
};

describe("a provider's stream reads as the openai SDK reads it", () => {
  for (const [name, text] of Object.entries(streams)) {
    test(name, async () => {
      for (const pieces of cuts(text)) {
        const [mine, theirs] = [await readWith(ours, pieces), await readWith(sdks, pieces)];
        expect(mine).toEqual(theirs);
      }
    });
  }

  test("the streams above are read to what they say (the comparison is not between two empty results)", async () => {
    const read = async (text: string) => readWith(ours, [new TextEncoder().encode(text)]);
    const contents = (outcome: Outcome) => outcome.chunks.map((c) => (c as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "").join("");
    expect(contents(await read(streams["\\r\\n line ends"]!))).toBe("Bonjour");
    expect(contents(await read(streams["multi-byte characters (é, 日本, an emoji)"]!))).toBe("é日本🙂");
    expect(contents(await read(streams["events after [DONE] are ignored"]!))).toBe("kept");
    const failed = await read(streams["an error payload midway"]!);
    expect(contents(failed)).toBe("partial");
    expect(failed.error).toMatchObject({ type: "APIError", code: "rate_limit_exceeded" });
    expect(failed.error?.message).toContain("Rate limit reached");
    expect((await read(streams["a payload that is not JSON"]!)).error?.type).toBe("SyntaxError");
  });

  test("a reader that stops early lets go of the body", async () => {
    let cancelled = false;
    const pieces = [`data: ${chunk("a")}\n\n`, `data: ${chunk("b")}\n\n`, `data: ${chunk("c")}\n\n`].map((t) => new TextEncoder().encode(t));
    for await (const _ of chatCompletionChunks(responseOf(pieces, () => (cancelled = true)))) break;
    expect(cancelled).toBe(true);
  });
});
