/**
 * POST /mm/mm/ (and /mm/mm): the Noa app's "Custom Server" endpoint. Thin: find the
 * user from the one header the app sends, parse the form, let the service answer, and
 * turn failures into the status + `{detail}` the app shows.
 */
import { type DocumentDecoration, Elysia } from "elysia";
import type { Identity } from "../accounts/index.ts";
import { RateLimited } from "../errors.ts";
import { asGlassesHttpError, parseGlassesRequest } from "./request.ts";
import { answerGlasses, type GlassesDependencies } from "./service.ts";

type ServerLike = { requestIP(request: Request): { address: string } | null } | null;

const openapiDetail: DocumentDecoration = {
  summary: "Answer the Frame glasses (Noa app custom server)",
  description:
    "Multipart form from the Noa app: `audio` (WAV; 8-bit 8 kHz from the app, other WAV kinds and, with ffmpeg, ogg/mp3/m4a/webm), " +
    "optional `image` (JPEG from the glasses camera), `messages` (JSON array of {role, content}), `location` (text, may be empty), " +
    "`time` (local time, Dart format) and optional `prompt` (text placed before the transcript). " +
    "Authenticate with `Authorization: Bearer <glasses token>`, a bare token in `Authorization`, or `X-API-Key: <token>`.",
  tags: ["Glasses"],
  requestBody: {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object",
          properties: {
            audio: { type: "string", format: "binary", description: "WAV recording, up to 25 MB" },
            image: { type: "string", format: "binary", description: "JPEG/PNG/WebP, up to 10 MB" },
            messages: { type: "string", description: 'JSON: [{"role":"user","content":"…"}]' },
            location: { type: "string" },
            time: { type: "string", example: "2025-07-02 11:29:48.054846" },
            prompt: { type: "string" },
          },
        },
      },
    },
  },
  responses: {
    200: {
      description:
        "The answer. `debug.topic_changed` tells the app to drop its history (also sent when the history has outgrown the model's context window). " +
        "A failure the wearer can act on (no model, a switched-off model, speech recognition or the model's provider failing, the database not answering) " +
        "is also a 200: `message` is a short sentence for the display and `debug.error` is `{status, code, detail}` (set GLASSES_STRICT_HTTP_ERRORS=true for real statuses).",
      content: {
        "application/json": {
          example: {
            user_prompt: "What's the capital of France?",
            message: "Paris.",
            debug: { topic_changed: false, model: "openai/gpt-oss-20b:free", timings: { stt_ms: 420, llm_ms: 800, total_ms: 1250 } },
          },
        },
      },
    },
    400: { description: "A field is missing or unreadable; `detail` names it." },
    401: { description: "Missing, unknown, expired or revoked access token." },
    403: { description: "The access token has no glasses scope." },
    409: { description: "Only with GLASSES_STRICT_HTTP_ERRORS: the user has no model set up, or it is switched off." },
    413: { description: "The body is over its limit (audio 25 MB, image 10 MB, history 10 MB)." },
    415: { description: "Audio format that needs ffmpeg, which is not installed." },
    429: { description: "Too many wrong access tokens from this address (TOKEN_MAX_FAILURES per TOKEN_WINDOW_SECONDS); Retry-After says how long to wait." },
    502: { description: "Only with GLASSES_STRICT_HTTP_ERRORS: the model's provider or speech recognition failed; the user's message is saved." },
    503: { description: "Only with GLASSES_STRICT_HTTP_ERRORS: the speech model cannot be loaded, or the database is not answering." },
  },
};

/** `addressOf`: the client's address as TRUST_PROXY reads it (failed tokens are counted per address). */
export function glassesRoutes(identity: Identity, deps: GlassesDependencies, addressOf: (request: Request, server: ServerLike) => string) {
  const answer = async ({ request, set, server }: { request: Request; set: { status?: number | string; headers: Record<string, string | number> }; server: ServerLike }) => {
    try {
      // Who first: an unauthenticated request is refused before its body is read.
      const caller = await identity.fromGlassesToken(request, addressOf(request, server));
      return await answerGlasses(deps, caller, await parseGlassesRequest(request));
    } catch (error) {
      const http = asGlassesHttpError(error);
      if (http) {
        set.status = http.status;
        if (error instanceof RateLimited) set.headers["retry-after"] = String(error.retryAfterSeconds);
        return { detail: http.detail };
      }
      console.error("Unexpected error on the glasses route:", error);
      set.status = 500;
      return { detail: "Something went wrong on the server. Try again; if it keeps happening, tell the administrator." };
    }
  };
  // Only POST answers; anything else is told so (without this, GET fell through to the web UI's page).
  const onlyPost = ({ set }: { set: { status?: number | string; headers: Record<string, string | number> } }) => {
    set.status = 405;
    set.headers.allow = "POST";
    return { detail: "This is the Noa app's custom-server endpoint: send a POST (multipart/form-data)." };
  };
  const hidden = { detail: { hide: true } };
  const app = new Elysia()
    // The body is parsed by parseGlassesRequest, after authentication and with our own limits.
    .post("/mm/mm/", answer, { parse: "none", detail: openapiDetail })
    .post("/mm/mm", answer, { parse: "none", detail: { ...openapiDetail, hide: true } });
  for (const path of ["/mm/mm/", "/mm/mm"]) {
    app.get(path, onlyPost, hidden).put(path, onlyPost, hidden).patch(path, onlyPost, hidden).delete(path, onlyPost, hidden);
  }
  return app;
}
