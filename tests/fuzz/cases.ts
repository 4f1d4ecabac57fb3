/**
 * Generated requests for the fuzz run (run.ts): the glasses route and GraphQL fed what
 * a broken client, a curious user or an attacker might send. Each case is drawn from a
 * seeded generator, so a seed names the same requests on every machine.
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Draw {
  constructor(readonly random: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  bytes(length: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }
}

/** What the run needs to know to build requests: ids and secrets of the fuzz account. */
export interface FuzzWorld {
  token: string;
  cookie: string;
  chatId: string;
  messageId: string;
  modelId: string;
  /** A message id of another user (for cursor and reference probes). */
  foreignMessageId: string;
  foreignChatId: string;
  audio: Uint8Array<ArrayBuffer>;
  image: Uint8Array<ArrayBuffer>;
}

export interface FuzzCase {
  /** Which surface it aims at: its answer is judged by that surface's rules. */
  target: "glasses" | "graphql";
  /** A short description for the report. */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | string;
}

const encoder = new TextEncoder();
const concat = (...parts: (Uint8Array | string)[]): Uint8Array<ArrayBuffer> => {
  const chunks = parts.map((part) => (typeof part === "string" ? encoder.encode(part) : part));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
};

/** A RIFF/WAVE header with whatever values the case wants, then `data`. */
export function wav(opts: { rate: number; bits: number; channels: number; format?: number; declaredDataBytes?: number; data: Uint8Array }): Uint8Array<ArrayBuffer> {
  const header = new DataView(new ArrayBuffer(44));
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) header.setUint8(at + i, text.charCodeAt(i));
  };
  const dataBytes = opts.declaredDataBytes ?? opts.data.length;
  ascii(0, "RIFF");
  header.setUint32(4, (36 + dataBytes) >>> 0, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  header.setUint32(16, 16, true);
  header.setUint16(20, opts.format ?? 1, true);
  header.setUint16(22, opts.channels & 0xffff, true);
  header.setUint32(24, opts.rate >>> 0, true);
  header.setUint32(28, (opts.rate * opts.channels * Math.max(1, opts.bits / 8)) >>> 0, true);
  header.setUint16(32, (opts.channels * Math.max(1, opts.bits / 8)) & 0xffff, true);
  header.setUint16(34, opts.bits & 0xffff, true);
  ascii(36, "data");
  header.setUint32(40, dataBytes >>> 0, true);
  return concat(new Uint8Array(header.buffer), opts.data);
}

/** Strings that break naive storage: NUL, lone surrogates (as JSON escapes they survive transport), huge, control. */
function nastyString(d: Draw): string {
  return d.pick([
    "plain",
    "with\u0000nul",
    "\u0000",
    "lone \ud800 high surrogate",
    "lone \udfff low surrogate",
    "emoji 😀 and RTL \u202e text",
    "x".repeat(d.int(1000, 300_000)),
    "<script>alert(1)</script>",
    "'; DROP TABLE \"Chat\"; --",
    "\r\n\t\u0007\u001b[31m",
    "",
    " ",
  ]);
}

/** Raw bytes for a multipart text field: sometimes invalid UTF-8 or an encoded lone surrogate (CESU-8). */
function nastyFieldBytes(d: Draw): Uint8Array | string {
  if (d.chance(0.15)) return d.pick([new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array([0xff, 0xfe, 0x00]), new Uint8Array([0xc0, 0x80])]);
  return nastyString(d);
}

function audioVariant(d: Draw, world: FuzzWorld): { kind: string; bytes: Uint8Array<ArrayBuffer> | null } {
  const pcm = () => d.bytes(d.int(0, 20_000));
  return d.pick([
    () => ({ kind: "fixture", bytes: world.audio }),
    () => ({ kind: "no-audio", bytes: null }),
    () => ({ kind: "header-only", bytes: world.audio.slice(0, 44) }),
    () => ({ kind: "truncated", bytes: world.audio.slice(0, d.int(0, world.audio.length - 1)) }),
    () => ({ kind: "random-bytes", bytes: d.bytes(d.int(0, 4096)) }),
    () => ({ kind: "empty-file", bytes: new Uint8Array(0) }),
    () => {
      const rate = d.pick([0, 1, 7, 24, 3_999, 4_000, 8_000, 44_100, 192_000, 192_001, 768_000, 4_294_967_295]);
      return { kind: `rate-${rate}`, bytes: wav({ rate, bits: 8, channels: 1, data: pcm() }) };
    },
    () => {
      const bits = d.pick([0, 1, 7, 12, 24, 64, 65_535]);
      const channels = d.pick([0, 1, 2, 7, 65_535]);
      return { kind: `layout-${bits}b-${channels}ch`, bytes: wav({ rate: 8000, bits, channels, data: pcm() }) };
    },
    () => ({ kind: "declared-4GB", bytes: wav({ rate: 8000, bits: 16, channels: 1, declaredDataBytes: 0xffffffff, data: pcm() }) }),
    () => ({ kind: "float-format", bytes: wav({ rate: 16000, bits: 32, channels: 1, format: 3, data: pcm() }) }),
    () => ({ kind: "unknown-format", bytes: wav({ rate: 8000, bits: 8, channels: 1, format: d.int(4, 65_535), data: pcm() }) }),
    () => ({ kind: "ogg-garbage", bytes: concat("OggS", d.bytes(d.int(0, 2000))) }),
    () => ({ kind: "id3-garbage", bytes: concat("ID3", d.bytes(d.int(0, 2000))) }),
  ])();
}

function imageVariant(d: Draw, world: FuzzWorld): { kind: string; bytes: Uint8Array<ArrayBuffer> | null } {
  return d.pick([
    () => ({ kind: "jpeg", bytes: world.image }),
    () => ({ kind: "no-image", bytes: null }),
    () => ({ kind: "truncated-jpeg", bytes: world.image.slice(0, d.int(3, world.image.length - 1)) }),
    () => ({ kind: "random", bytes: d.bytes(d.int(0, 3000)) }),
    () => ({ kind: "png-signature-only", bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) }),
    () => ({ kind: "webp-header-only", bytes: concat("RIFF\u0000\u0000\u0000\u0000WEBP") }),
  ])();
}

function messagesVariant(d: Draw): { kind: string; value: Uint8Array | string } {
  const entry = () => ({ role: d.pick(["user", "assistant"]), content: nastyString(d).slice(0, 2000) });
  return d.pick([
    () => ({ kind: "empty", value: "[]" }),
    () => ({ kind: "history", value: JSON.stringify(Array.from({ length: d.int(1, 30) }, entry)) }),
    () => ({ kind: "long-history", value: JSON.stringify(Array.from({ length: d.int(200, 400) }, () => ({ role: "user", content: "more" }))) }),
    () => ({ kind: "bad-json", value: d.pick(["[", "{", "not json", "[{\"role\":", "null", "\u0000"]) }),
    () => ({ kind: "object", value: JSON.stringify({ role: "user", content: "x" }) }),
    () => ({ kind: "wrong-role", value: JSON.stringify([{ role: d.pick(["tool", "", 5, null]), content: "x" }]) }),
    () => ({ kind: "wrong-content", value: JSON.stringify([{ role: "user", content: d.pick([null, 5, ["a"], { a: 1 }]) }]) }),
    () => ({ kind: "nested-deep", value: `${"[".repeat(5000)}${"]".repeat(5000)}` }),
    () => ({ kind: "raw-bytes", value: nastyFieldBytes(d) }),
  ])();
}

function multipart(fields: { name: string; value: Uint8Array | string; filename?: string }[]): { contentType: string; body: Uint8Array<ArrayBuffer> } {
  const boundary = `----aiuifuzz${Math.random().toString(16).slice(2)}`;
  const parts: (Uint8Array | string)[] = [];
  for (const field of fields) {
    const disposition = `form-data; name="${field.name}"${field.filename ? `; filename="${field.filename}"` : ""}`;
    parts.push(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n`);
    if (field.filename) parts.push("Content-Type: application/octet-stream\r\n");
    parts.push("\r\n", field.value, "\r\n");
  }
  parts.push(`--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: concat(...parts) };
}

function glassesCase(d: Draw, world: FuzzWorld): FuzzCase {
  // A third of the requests are the app's own request with one thing changed, so that many
  // get past parsing into transcription, the model and the database; the rest are wilder.
  const nearlyValid = d.chance(0.35);
  const changed = nearlyValid ? d.pick(["audio", "image", "messages", "none"] as const) : null;
  const audio = !nearlyValid || changed === "audio" ? audioVariant(d, world) : { kind: "fixture", bytes: world.audio };
  const image = !nearlyValid || changed === "image" ? imageVariant(d, world) : { kind: "jpeg", bytes: world.image };
  const messages = !nearlyValid || changed === "messages" ? messagesVariant(d) : { kind: "empty", value: "[]" };
  const fields: { name: string; value: Uint8Array | string; filename?: string }[] = [];
  if (audio.bytes) fields.push({ name: "audio", value: audio.bytes, filename: "audio.wav" });
  if (image.bytes) fields.push({ name: "image", value: image.bytes, filename: "image.jpg" });
  fields.push({ name: "messages", value: messages.value });
  fields.push({ name: "location", value: nearlyValid || d.chance(0.7) ? "" : nastyFieldBytes(d) });
  fields.push({ name: "time", value: nearlyValid ? "2025-07-02 11:29:48.054846" : d.pick(["2025-07-02 11:29:48.054846", "", "yesterday", "2025-13-45 99:99:99", "\u0000"]) });
  if (!nearlyValid && d.chance(0.4)) fields.push({ name: "prompt", value: nastyFieldBytes(d) });
  if (!nearlyValid && d.chance(0.05)) fields.push({ name: "audio", value: "a text field where a file belongs" });

  const auth = nearlyValid ? { kind: "bearer", headers: { authorization: `Bearer ${world.token}` } } : d.pick<{ kind: string; headers: Record<string, string> }>([
    { kind: "bearer", headers: { authorization: `Bearer ${world.token}` } },
    { kind: "bearer", headers: { authorization: `Bearer ${world.token}` } },
    { kind: "bare", headers: { authorization: world.token } },
    { kind: "x-api-key", headers: { "x-api-key": world.token } },
    { kind: "wrong-token", headers: { authorization: "Bearer aiui_gl_wrong" } },
    { kind: "no-token", headers: {} },
    { kind: "junk-token", headers: { authorization: `Bearer ${"\u00ff".repeat(d.int(1, 5000))}` } },
  ]);
  const { contentType, body } = multipart(fields);
  const shape = nearlyValid ? "multipart" : d.pick(["multipart", "multipart", "multipart", "multipart", "json", "none", "broken-multipart", "get"] as const);
  const base = { target: "glasses" as const, path: d.pick(["/mm/mm/", "/mm/mm"]) };
  const kind = `glasses ${nearlyValid ? "nearly-valid " : ""}${shape} ${auth.kind} audio:${audio.kind} image:${image.kind} messages:${messages.kind}`;
  switch (shape) {
    case "multipart":
      return { ...base, kind, method: "POST", headers: { ...auth.headers, "content-type": contentType }, body };
    case "json":
      return { ...base, kind, method: "POST", headers: { ...auth.headers, "content-type": "application/json" }, body: JSON.stringify({ messages: "[]" }) };
    case "none":
      return { ...base, kind, method: "POST", headers: { ...auth.headers } };
    case "broken-multipart":
      return { ...base, kind, method: "POST", headers: { ...auth.headers, "content-type": contentType }, body: body.slice(0, d.int(0, body.length - 1)) };
    case "get":
      return { ...base, kind, method: d.pick(["GET", "PUT", "DELETE"]), headers: { ...auth.headers } };
  }
}

/** A selection nested `depth` levels deep (fields that do not exist: the parser and validator must cope first). */
const deepSelection = (depth: number) => `{ ${"a { ".repeat(depth)}b${" }".repeat(depth)} }`;

function graphqlDocument(d: Draw, world: FuzzWorld): { kind: string; query: string; variables?: unknown; operationName?: unknown } {
  const cursor = () =>
    d.pick([
      "GPC:N:1",
      "GPC:S:",
      "R1BDOlM6",
      Buffer.from(`GPC:S:${world.foreignMessageId}`).toString("base64"),
      Buffer.from(`GPC:S:${world.messageId}`).toString("base64"),
      nastyString(d).slice(0, 200),
      "%%%",
      "",
    ]);
  return d.pick([
    () => ({ kind: "viewer", query: "{ viewer { id email displayName role } }" }),
    () => ({ kind: "chats", query: "query($n: Int) { chats(first: $n) { edges { node { id title } } } }", variables: { n: d.pick([0, 1, 20, -1, 1e9, 2 ** 31, 1.5]) } }),
    () => ({
      kind: "messages-cursor",
      query: "query($id: ID!, $a: String, $b: String) { chat(id: $id) { messages(first: 5, after: $a, before: $b) { edges { cursor node { id } } } } }",
      variables: { id: world.chatId, a: d.chance(0.5) ? cursor() : null, b: d.chance(0.3) ? cursor() : null },
    }),
    () => ({ kind: "chat-id", query: "query($id: ID!) { chat(id: $id) { id title } }", variables: { id: d.pick([world.chatId, world.foreignChatId, nastyString(d).slice(0, 300)]) } }),
    () => ({
      kind: "create-model",
      query: "mutation($i: CreateModelInput!) { createModel(input: $i) { id } }",
      variables: {
        i: {
          name: nastyString(d).slice(0, 500),
          providerModelId: nastyString(d).slice(0, 300),
          baseUrl: d.pick(["https://api.example.com/v1", "http://127.0.0.1:5432/", "http://[::1]/", "http://2130706433/", "http://169.254.169.254/", "ftp://x", "not a url", "http://user:pw@example.com/v1", nastyString(d)]),
          inputCostPerMTok: d.pick([0, 1, 1e300, -1, 1.7976931348623157e308, Number.MIN_VALUE]),
          temperature: d.pick([0.7, -5, 1e300, 2]),
          maxTokens: d.pick([null, 1, 0, -1, 2 ** 31 - 1]),
          contextWindow: d.pick([null, 100, 2 ** 31 - 1]),
        },
      },
    }),
    () => ({ kind: "rename", query: "mutation($id: ID!, $t: String!) { renameChat(id: $id, title: $t) { title } }", variables: { id: world.chatId, t: nastyString(d) } }),
    () => ({ kind: "create-chat", query: "mutation($t: String) { createChat(input: { title: $t }) { id } }", variables: { t: nastyString(d).slice(0, 1000) } }),
    () => ({
      kind: "send",
      query: "mutation($c: ID!, $m: String!) { sendMessage(chatId: $c, content: $m) { reply { id } } }",
      variables: { c: d.pick([world.chatId, world.foreignChatId, "nope"]), m: nastyString(d) },
    }),
    () => ({ kind: "cancel", query: "mutation($id: ID!) { cancelReply(messageId: $id) { status } }", variables: { id: d.pick([world.messageId, world.foreignMessageId, "\u0000"]) } }),
    () => ({ kind: "glasses-settings", query: "mutation($i: GlassesSettingsInput!) { updateGlassesSettings(input: $i) { persona } }", variables: { i: { persona: nastyString(d).slice(0, 30_000), temperature: d.pick([0.5, 1e300, -1, null]), maxTokens: d.pick([1, -1, 2 ** 31 - 1, null]), language: nastyString(d).slice(0, 20) } } }),
    () => ({ kind: "aliases", query: `{ ${Array.from({ length: d.int(100, 1500) }, (_, i) => `a${i}: __typename`).join(" ")} }` }),
    () => ({ kind: "aliased-schema", query: `{ ${Array.from({ length: d.int(10, 1000) }, (_, i) => `s${i}: __schema { types { name fields { name } } }`).join(" ")} }` }),
    () => ({ kind: "aliased-chats", query: `{ ${Array.from({ length: d.int(10, 1000) }, (_, i) => `c${i}: chats(first: 100) { edges { node { messages(first: 100) { edges { node { content } } } } } }`).join(" ")} }` }),
    () => ({ kind: "deep", query: deepSelection(d.pick([50, 1000, 100_000])) }),
    () => ({ kind: "introspection", query: "{ __schema { queryType { name } types { name fields { name args { name } } } } }" }),
    () => ({ kind: "typo", query: "{ viewr { id } }" }),
    () => ({ kind: "garbage", query: nastyString(d) }),
    () => ({ kind: "bad-variables", query: "query($id: ID!) { chat(id: $id) { id } }", variables: d.pick([null, "x", [1], { id: { nested: true } }, { id: 1e300 }]) }),
    () => ({ kind: "two-ops", query: "query A { viewer { id } } query B { viewer { id } }", operationName: d.pick([undefined, "C", 5, "A"]) }),
    () => ({ kind: "directives", query: `{ viewer ${Array.from({ length: d.int(10, 500) }, () => "@include(if: true)").join(" ")} { id } }` }),
  ])();
}

/** encodeURIComponent that also sends lone surrogates (as their 3-byte WTF-8 form) instead of throwing. */
function percentEncode(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

function graphqlCase(d: Draw, world: FuzzWorld): FuzzCase {
  const document = graphqlDocument(d, world);
  const cookie = d.pick([world.cookie, world.cookie, world.cookie, "", "aiui_session=%", `aiui_session=${"x".repeat(d.int(1, 8000))}`, "aiui_session=a; aiui_session=b"]);
  const headers: Record<string, string> = { "content-type": "application/json", "x-aiui-csrf": "1" };
  if (cookie) headers.cookie = cookie;
  if (d.chance(0.05)) delete headers["x-aiui-csrf"];
  const shape = d.pick(["json", "json", "json", "json", "json", "sse", "bad-json", "batch", "get", "form"] as const);
  const kind = `graphql ${shape} ${document.kind}${cookie === world.cookie ? "" : " odd-cookie"}`;
  const json = JSON.stringify({ query: document.query, variables: document.variables, operationName: document.operationName });
  switch (shape) {
    case "json":
      return { target: "graphql", kind, method: "POST", path: "/graphql", headers, body: json };
    case "sse":
      return {
        target: "graphql",
        kind,
        method: "POST",
        path: "/graphql",
        headers: { ...headers, accept: "text/event-stream" },
        body: JSON.stringify({ query: "subscription($id: ID!) { replyStream(messageId: $id) { delta done } }", variables: { id: d.pick([world.messageId, world.foreignMessageId, "missing", "\u0000"]) } }),
      };
    case "bad-json":
      return { target: "graphql", kind, method: "POST", path: "/graphql", headers, body: json.slice(0, d.int(0, json.length - 1)) };
    case "batch":
      return { target: "graphql", kind, method: "POST", path: "/graphql", headers, body: `[${json},${json}]` };
    case "get":
      return { target: "graphql", kind, method: "GET", path: `/graphql?query=${percentEncode(document.query.slice(0, 4000))}`, headers };
    case "form":
      return { target: "graphql", kind, method: "POST", path: "/graphql", headers: { ...headers, "content-type": "application/x-www-form-urlencoded" }, body: `query=${percentEncode(document.query.slice(0, 4000))}` };
  }
}

/** The next request: about half to each surface. */
export function nextCase(d: Draw, world: FuzzWorld): FuzzCase {
  return d.chance(0.5) ? glassesCase(d, world) : graphqlCase(d, world);
}
