/**
 * A reply as OpenAI's `chat.completion.chunk` event stream: the role chunk first, a chunk
 * per piece of text, then the finish chunk, the usage chunk (with include_usage) and
 * `data: [DONE]`; a failure after the stream began is an `error` event, which OpenAI's
 * SDKs raise. Pulled by the client: nothing is buffered here beyond what it has not read.
 */
import type { ReplyEvent } from "../generation/index.ts";
import { asOpenAIError, providerFailed } from "./errors.ts";
import { type CompletionMeta, chunk, contentChunkLines, finishReasonOf, sseData, usageChunk } from "./shapes.ts";

export function completionStream(meta: CompletionMeta, events: AsyncIterable<ReplyEvent>, includeUsage: boolean): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  const contentLine = contentChunkLines(meta, includeUsage);
  let sentRole = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const send = (value: unknown) => controller.enqueue(encoder.encode(sseData(value)));
      if (!sentRole) {
        sentRole = true;
        send(chunk(meta, { role: "assistant", content: "" }, null, includeUsage));
      }
      const next = await iterator.next().catch((error: unknown) => ({ done: true as const, value: undefined, error }));
      if (next.done) {
        if ("error" in next) send(asOpenAIError(next.error).body());
        controller.close();
        return;
      }
      const event = next.value;
      if (event.delta) controller.enqueue(encoder.encode(contentLine(event.delta)));
      if (event.done) {
        if (event.status === "FAILED") {
          // Mid-stream the status is sent already: OpenAI's clients read an error event as the failure.
          send(providerFailed(event.error ?? "The model's provider failed.").body());
        } else {
          send(chunk(meta, {}, finishReasonOf(event.finishReason), includeUsage));
          if (includeUsage) send(usageChunk(meta, event.usage));
          send("[DONE]");
        }
        controller.close();
      }
    },
    // The client went away: the reply is still written to its end and stored (as in the web UI).
    cancel: () => void iterator.return?.(),
  });
}
