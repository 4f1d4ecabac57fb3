/**
 * Yoga's limit on a GraphQL request's body (25 MB, its default, with its 413 and 400
 * errors), without its cost on every request: Yoga pipes every body through a
 * TransformStream into a new Request to count the bytes as they are read, a few percent
 * of a small query's CPU (decision 0014). A body with a valid Content-Length cannot be
 * longer than that (the HTTP server reads that many bytes and no more), so the header is
 * checked alone; a chunked body is still counted as it is read.
 * Installed with `maxRequestBodySize: false` in yoga.ts, after Yoga's request parsers.
 */
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

export const MAX_GRAPHQL_BODY_BYTES = 25_000_000;

const tooLarge = () =>
  new GraphQLError("Request body too large", { extensions: { http: { status: 413 }, code: "REQUEST_ENTITY_TOO_LARGE" } });

const CONTENT_LENGTH = /^\d+$/;

function counted(request: Request, limit: number): Request {
  let bytes = 0;
  const body = request.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > limit) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body, duplex: "half" } as RequestInit);
}

export function graphqlBodyLimit(limit = MAX_GRAPHQL_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      const declared = request.headers.get("content-length");
      if (declared != null) {
        // One non-negative integer; anything else (a smuggling attempt's "10, 20") is refused, as Yoga does.
        if (!CONTENT_LENGTH.test(declared)) {
          throw new GraphQLError("Content-Length header is invalid.", { extensions: { http: { status: 400 }, code: "BAD_REQUEST" } });
        }
        if (Number(declared) > limit) throw tooLarge();
        // With Transfer-Encoding too, the chunks decide the length (RFC 9112): count them.
        if (request.headers.get("transfer-encoding") == null) return;
      }
      if (requestParser == null || request.body == null) return;
      const parse = requestParser;
      setRequestParser((request) => parse(counted(request, limit)));
    },
  };
}
