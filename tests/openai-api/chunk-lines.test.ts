/**
 * The /v1 stream's text chunks are written from a head and tail serialised once per stream
 * (openai-api/shapes.ts contentChunkLines); they must be byte for byte the chunk object's
 * JSON, whatever the id, model name and text hold.
 */
import { expect, test } from "bun:test";
import { chunk, contentChunkLines, sseData } from "../../server/src/openai-api/shapes.ts";

const TEXTS = ["", "plain", 'quotes " and \\ backslashes', "line\nbreaks\r\tand\u2028separators\u2029", "\u0000content\u0000", "emoji 🦊 and a lone \ud800 surrogate", '"},"logprobs":null'];
const METAS = [
  { id: "chatcmpl-abc", created: 1_700_000_000, model: "gpt-4o" },
  { id: 'id "with" quotes', created: 0, model: "\u0000content\u0000" },
  { id: "chatcmpl-\u2028", created: 2 ** 40, model: 'model "},"choices":[' },
];

test("a text chunk's line is what serialising the whole chunk gives", () => {
  for (const meta of METAS) {
    for (const includeUsage of [true, false]) {
      const line = contentChunkLines(meta, includeUsage);
      for (const content of TEXTS) {
        expect(line(content)).toBe(sseData(chunk(meta, { content }, null, includeUsage)));
      }
    }
  }
});
