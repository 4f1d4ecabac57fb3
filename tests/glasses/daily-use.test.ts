/**
 * What a wearer hits in daily use, through the real app and the loopback provider (which
 * also does the speech recognition here, STT_BACKEND=openai, so every transcription is a
 * request we can count):
 * - failures the wearer can act on answer 200 with a short sentence (the Noa app shows only
 *   the reason phrase of anything else) and the would-be status in debug.error; strict mode
 *   restores the statuses;
 * - the model is checked before anything is transcribed, and a switched-off model does not answer;
 * - any history the app sends is accepted and trimmed, and an outgrown one starts a new topic;
 * - the smaller things: a time in another format is ignored, stt_ms is whole, an incomplete
 *   picture is left out, a spoken answer that is not audio is not sent, GET says 405, and an
 *   upload that grows past the limit gets a JSON 413.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { historyMostlyDropped } from "../../server/src/glasses/service.ts";
import { MAX_BODY_BYTES } from "../../server/src/glasses/request.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { DEFAULT_TRANSCRIPT, type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { fixture } from "../support/fixtures.ts";

let provider: FakeProvider;
let app: TestApp;
let strict: TestApp;
let audio: Uint8Array<ArrayBuffer>;
let image: Uint8Array<ArrayBuffer>;

interface Wearer {
  client: TestClient;
  token: string;
  modelId: string | null;
}

beforeAll(async () => {
  provider = await startFakeProvider();
  const speech = { STT_BACKEND: "openai", STT_OPENAI_BASE_URL: provider.url };
  app = await startTestApp(speech);
  strict = await startTestApp({ ...speech, GLASSES_STRICT_HTTP_ERRORS: "true" });
  audio = await fixture("noa-app-request-audio.wav");
  image = await fixture("noa-app-request-image.jpg");
});
afterAll(async () => {
  await app.close();
  await strict.close();
  await provider.stop();
});
beforeEach(() => provider.reset());

let users = 0;
async function wearer(on: TestApp, options: { model?: boolean; contextWindow?: number } = {}): Promise<Wearer> {
  const client = await on.signedUp(`wearer${++users}@example.com`);
  let modelId: string | null = null;
  if (options.model !== false) {
    modelId = (
      await client.data(`mutation($u: String!, $w: Int) { createModel(input: { name: "Echo", providerModelId: "echo", baseUrl: $u, contextWindow: $w }) { id } }`, {
        u: provider.url,
        w: options.contextWindow ?? null,
      })
    ).createModel.id;
  }
  const token = (await client.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
  return { client, token, modelId };
}

interface NoaForm {
  audio?: Uint8Array<ArrayBuffer> | null;
  image?: Uint8Array<ArrayBuffer> | null;
  messages?: string;
  time?: string;
  prompt?: string;
}

async function ask(on: TestApp, who: Wearer, form: NoaForm = {}) {
  const body = new FormData();
  const sound = form.audio === undefined ? audio : form.audio;
  if (sound) body.append("audio", new File([sound], "audio.wav"));
  if (form.image) body.append("image", new File([form.image], "image.jpg"));
  body.append("messages", form.messages ?? "[]");
  body.append("location", "");
  body.append("time", form.time ?? "2025-07-02 11:29:48.054846");
  if (form.prompt !== undefined) body.append("prompt", form.prompt);
  const response = await on.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${who.token}` }, body }));
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const transcriptions = () => provider.requests.filter((r) => r.path === "/v1/audio/transcriptions").length;
const completions = () => provider.requests.filter((r) => r.path === "/v1/chat/completions");

describe("errors the wearer can read", () => {
  test("no model: 200 with a sentence for the display, debug.error 409 NO_MODEL, and nothing transcribed", async () => {
    const { status, body } = await ask(app, await wearer(app, { model: false }));
    expect(status).toBe(200);
    expect(body.message).toBe("No model is set up for your glasses. Add one in AIUI.");
    expect(body.user_prompt).toBe("");
    expect(body.debug.topic_changed).toBe(false);
    expect(body.debug.error).toEqual({ status: 409, code: "NO_MODEL", detail: expect.stringContaining("glasses settings") });
    // A paid speech service is not asked for a request that cannot be answered.
    expect(transcriptions()).toBe(0);
  });

  test("a switched-off model does not answer: 200 with MODEL_SWITCHED_OFF, neither speech nor model asked", async () => {
    const who = await wearer(app);
    await who.client.data(`mutation($m: ID) { updateGlassesSettings(input: { modelId: $m }) { persona } }`, { m: who.modelId });
    await who.client.data(`mutation($id: ID!) { updateModel(id: $id, input: { active: false }) { active } }`, { id: who.modelId });
    const { status, body } = await ask(app, who);
    expect(status).toBe(200);
    expect(body.message).toBe("Your glasses' model Echo is switched off. Switch it on in AIUI.");
    expect(body.debug.error).toMatchObject({ status: 409, code: "MODEL_SWITCHED_OFF" });
    expect(transcriptions()).toBe(0);
    expect(completions()).toHaveLength(0);
  });

  test("a switched-off model among several: the first active one answers when none is chosen", async () => {
    const who = await wearer(app);
    await who.client.data(`mutation($id: ID!) { updateModel(id: $id, input: { active: false }) { active } }`, { id: who.modelId });
    const { body } = await ask(app, who);
    expect(body.debug.error.code).toBe("NO_MODEL");
  });

  test("the provider failing: 200 with what was understood and a short sentence; the exchange is saved with the reason", async () => {
    const who = await wearer(app);
    provider.script("echo", { error: { status: 500, message: "upstream exploded" } });
    const { status, body } = await ask(app, who, { prompt: "will this work" });
    provider.reset();
    expect(status).toBe(200);
    expect(body.user_prompt).toBe(`will this work\n${DEFAULT_TRANSCRIPT}`);
    expect(body.message).toBe("Your model did not answer. Please try again.");
    expect(body.debug.error).toMatchObject({ status: 502, code: "PROVIDER_FAILED" });
    expect(body.debug.error.detail).toContain("internal error (500)");
    const chat = (await who.client.data(`{ chats(first: 1) { edges { node { messages(last: 2) { edges { node { role content status error } } } } } } }`)).chats
      .edges[0].node;
    expect(chat.messages.edges.map((e: any) => e.node)).toEqual([
      { role: "USER", content: `will this work\n${DEFAULT_TRANSCRIPT}`, status: "COMPLETE", error: null },
      { role: "ASSISTANT", content: "", status: "FAILED", error: body.debug.error.detail },
    ]);
  });

  test("speech recognition failing: 200 with TRANSCRIPTION_FAILED", async () => {
    const who = await wearer(app);
    provider.script("whisper-1", { error: { status: 500 } });
    const { status, body } = await ask(app, who);
    expect(status).toBe(200);
    expect(body.message).toBe("Speech recognition failed. Please try again.");
    expect(body.debug.error).toMatchObject({ status: 502, code: "TRANSCRIPTION_FAILED" });
  });

  test("strict mode (GLASSES_STRICT_HTTP_ERRORS=true) answers the real statuses with the full sentence", async () => {
    const noModel = await ask(strict, await wearer(strict, { model: false }));
    expect(noModel.status).toBe(409);
    expect(noModel.body.detail).toContain("No model is set up for your glasses");
    provider.script("echo", { error: { status: 500 } });
    const failing = await ask(strict, await wearer(strict));
    provider.reset();
    expect(failing.status).toBe(502);
    expect(failing.body.detail).toContain("internal error (500)");
  });

  test("what the app cannot have sent keeps its 4xx: an empty POST, unreadable messages, a wrong token", async () => {
    const who = await wearer(app);
    const empty = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${who.token}` } }));
    expect(empty.status).toBe(400);
    expect((await ask(app, who, { messages: "[{role:" })).status).toBe(400);
    expect((await ask(app, { ...who, token: "aiui_gl_wrong" })).status).toBe(401);
  });
});

describe("history that never breaks the app", () => {
  const history = (entries: number) =>
    JSON.stringify(Array.from({ length: entries }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `entry ${i} ${"words ".repeat(20)}` })));

  test("the rule: a new topic when less than half of the app's history is kept", () => {
    expect(historyMostlyDropped(0, 0)).toBe(false);
    expect(historyMostlyDropped(10, 0)).toBe(false);
    expect(historyMostlyDropped(10, 5)).toBe(false);
    expect(historyMostlyDropped(10, 6)).toBe(true);
  });

  test("1,000 entries (the old limit was 200) are accepted, trimmed to the window, and the app is told to start afresh", async () => {
    const who = await wearer(app, { contextWindow: 4096 });
    const { status, body } = await ask(app, who, { messages: history(1000) });
    expect(status).toBe(200);
    expect(body.message).toBe(`You said: ${DEFAULT_TRANSCRIPT}`);
    expect(body.debug.topic_changed).toBe(true);
    const sent = (completions()[0]!.body as { messages: { content: string }[] }).messages;
    expect(sent.length).toBeGreaterThan(2);
    expect(sent.length).toBeLessThan(100);
    // The newest entries are the ones kept.
    expect(sent.at(-2)!.content).toContain("entry 999 ");
  });

  test("a history that fits goes whole and keeps the topic", async () => {
    const who = await wearer(app);
    const { body } = await ask(app, who, { messages: history(20) });
    expect(body.debug.topic_changed).toBe(false);
    expect((completions()[0]!.body as { messages: unknown[] }).messages).toHaveLength(22);
  });

  test("an upload that grows past the body limit while streaming gets a JSON 413", async () => {
    const who = await wearer(app);
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await app.handle(
      new Request("http://aiui.test/mm/mm/", {
        method: "POST",
        headers: { Authorization: `Bearer ${who.token}`, "content-type": "multipart/form-data; boundary=x" },
        body,
        duplex: "half",
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(((await response.json()) as { detail: string }).detail).toContain("larger than");
  });
});

describe("smaller things", () => {
  test("a time in another format is left out of the context, not a 400; stt_ms is a whole number", async () => {
    const who = await wearer(app);
    const { status, body } = await ask(app, who, { time: "yesterday at noon" });
    expect(status).toBe(200);
    const system = (completions()[0]!.body as { messages: { content: string }[] }).messages[0]!.content;
    expect(system).not.toContain("local time");
    expect(Number.isInteger(body.debug.timings.stt_ms)).toBe(true);
  });

  test("an incomplete picture is left out (not stored, not sent), the model is told, and debug says why", async () => {
    const who = await wearer(app);
    await who.client.data(`mutation($id: ID!) { updateModel(id: $id, input: { supportsImages: true }) { id } }`, { id: who.modelId });
    const { status, body } = await ask(app, who, { image: image.slice(0, image.length - 2000) });
    expect(status).toBe(200);
    expect(body.debug.image_error).toBe("The picture arrived incomplete and was left out.");
    const messages = (completions()[0]!.body as { messages: { content: unknown }[] }).messages;
    expect(typeof messages.at(-1)!.content).toBe("string");
    expect(messages[0]!.content).toContain("arrived incomplete");
    expect(await app.db.attachment.count({ where: { message: { chat: { id: body.debug.chat_id } } } })).toBe(0);
    // The whole picture still goes through.
    const whole = await ask(app, who, { image });
    expect(whole.body.debug.image_seen).toBe(true);
    expect(whole.body.debug.image_error).toBeUndefined();
  });

  test("a spoken answer that is not audio is not sent to the app; debug says what came", async () => {
    const who = await wearer(app);
    await who.client.data(`mutation { updateGlassesSettings(input: { spokenAnswers: true }) { spokenAnswers } }`);
    // Labelled audio, but an error text: a web page would already be refused as "not an API response".
    provider.script("tts-1", { raw: { status: 200, contentType: "audio/mpeg", body: '{"error":"voice not found"}' } });
    const { status, body } = await ask(app, who);
    provider.reset();
    expect(status).toBe(200);
    expect(body.message).toBe(`You said: ${DEFAULT_TRANSCRIPT}`);
    expect(body.audio).toBeUndefined();
    expect(body.debug.tts_error).toContain("not MP3 audio (audio/mpeg, 27 bytes)");
  });

  test("GET (and other methods) on /mm/mm/ answer 405 with Allow: POST and a JSON detail", async () => {
    for (const [method, path] of [
      ["GET", "/mm/mm/"],
      ["GET", "/mm/mm"],
      ["PUT", "/mm/mm/"],
      ["DELETE", "/mm/mm/"],
    ] as const) {
      const response = await app.handle(new Request(`http://aiui.test${path}`, { method }));
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      expect(((await response.json()) as { detail: string }).detail).toContain("send a POST");
    }
  });
});
