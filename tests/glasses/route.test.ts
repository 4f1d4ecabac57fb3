/**
 * The glasses route as the Noa app uses it: the fixture request (8-bit 8 kHz WAV, JPEG,
 * history, empty location) through the real app, the real Whisper worker on the tiny
 * generated model, and the real `openai` SDK against the loopback test provider.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { decodeAudio } from "../../server/src/speech/index.ts";
import { WhisperTranscriber } from "../../server/src/speech/whisper-transcriber.ts";
import { DID_NOT_CATCH_THAT } from "../../server/src/glasses/service.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { fixture } from "../support/fixtures.ts";
import { DEFAULT_TRANSCRIPT, FAKE_MP3, type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { DEFAULT_MODEL_CACHE, ensureWhisperModel, TEST_MODEL } from "../support/tiny-whisper/generate.ts";


let app: TestApp;
let provider: FakeProvider;
let whisper: WhisperTranscriber;
let ada: TestClient;
let token: string;
let modelId: string;
let audio: Uint8Array<ArrayBuffer>;
let image: Uint8Array<ArrayBuffer>;
/** What the real Whisper pipeline hears in the fixture (random weights: deterministic gibberish). */
let heard: string;

beforeAll(async () => {
  provider = await startFakeProvider({ apiKey: "sk-provider-key" });
  whisper = new WhisperTranscriber({ model: await ensureWhisperModel(TEST_MODEL, DEFAULT_MODEL_CACHE), maxNewTokens: 6, log: () => {} });
  app = await startTestApp({ FFMPEG_PATH: "/nonexistent/ffmpeg" }, { speech: whisper });
  ada = await app.signedUp("ada@example.com");
  const created = await ada.data(
    `mutation($url: String!) { createModel(input: { name: "Vision", providerModelId: "echo", baseUrl: $url, apiKey: "sk-provider-key", supportsImages: true, inputCostPerMTok: 1, outputCostPerMTok: 2 }) { id } }`,
    { url: provider.url },
  );
  modelId = created.createModel.id;
  token = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
  audio = await fixture("noa-app-request-audio.wav");
  image = await fixture("noa-app-request-image.jpg");
  heard = (await whisper.transcribe(await decodeAudio(audio))).text.trim();
}, 60_000);

afterAll(async () => {
  await app.close();
  await provider.stop();
});

beforeEach(() => provider.reset());

interface NoaForm {
  audio?: Uint8Array<ArrayBuffer> | null;
  image?: Uint8Array<ArrayBuffer> | null;
  messages?: string;
  location?: string;
  time?: string;
  prompt?: string;
}

/** The request exactly as the Noa app builds it (lib/noa_api.dart), with overrides. */
function noaRequest(form: NoaForm = {}, headers: Record<string, string> = { Authorization: `Bearer ${token}` }, path = "/mm/mm/") {
  const body = new FormData();
  const audioBytes = form.audio === undefined ? audio : form.audio;
  const imageBytes = form.image === undefined ? image : form.image;
  if (audioBytes) body.append("audio", new File([audioBytes], "audio.wav"));
  if (imageBytes) body.append("image", new File([imageBytes], "image.jpg"));
  body.append("messages", form.messages ?? "[]");
  body.append("location", form.location ?? "");
  body.append("time", form.time ?? "2025-07-02 11:29:48.054846");
  if (form.prompt !== undefined) body.append("prompt", form.prompt);
  return app.handle(new Request(`http://aiui.test${path}`, { method: "POST", headers, body }));
}

async function json(response: Response) {
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const chatQuery = `query($id: ID!) { chat(id: $id) { source title messages(last: 20) { edges { node {
  role content status error cost attachments { mimeType byteSize url } } } } } }`;

describe("the Noa app's request", () => {
  test("returns 200 with the transcript, the model's answer and debug; the exchange is in the user's chats with its picture", async () => {
    const { status, body } = await json(await noaRequest());
    expect(status).toBe(200);
    expect(heard.length).toBeGreaterThan(0);
    expect(body.user_prompt).toBe(heard);
    expect(body.message).toBe(`You said: ${heard}`);
    expect(body.debug).toMatchObject({ topic_changed: false, model: "echo", image_seen: true });
    expect(body.debug.usage.total_tokens).toBe(body.debug.usage.prompt_tokens + body.debug.usage.completion_tokens);
    expect(body.debug.timings.total_ms).toBeGreaterThanOrEqual(body.debug.timings.stt_ms);
    expect("image" in body).toBe(false);
    expect("audio" in body).toBe(false);

    // What the model was asked: persona with local time, no location line, the picture as an image part.
    const sent = provider.requests.find((r) => r.path === "/v1/chat/completions")!;
    expect(sent.headers.authorization).toBe("Bearer sk-provider-key");
    const messages = (sent.body as { messages: { role: string; content: any }[] }).messages;
    expect(messages[0]!.role).toBe("system");
    expect(messages[0]!.content).toContain("tiny display");
    expect(messages[0]!.content).toContain("2025-07-02 11:29:48.054846");
    expect(messages[0]!.content).not.toContain("is at or near");
    const last = messages.at(-1)!;
    expect(last.content[0]).toEqual({ type: "text", text: heard });
    expect(last.content[1].image_url.url).toStartWith("data:image/jpeg;base64,/9j/");

    const chat = (await ada.data(chatQuery, { id: body.debug.chat_id })).chat;
    expect(chat.source).toBe("GLASSES");
    const nodes = chat.messages.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => [n.role, n.content, n.status])).toEqual([
      ["USER", heard, "COMPLETE"],
      ["ASSISTANT", `You said: ${heard}`, "COMPLETE"],
    ]);
    expect(nodes[0].attachments).toEqual([{ mimeType: "image/jpeg", byteSize: image.byteLength, url: expect.stringMatching(/^\/attachments\//) }]);
    expect(nodes[1].cost).toBeGreaterThan(0);

    // The picture is there for its owner, and for nobody else.
    const url = `http://aiui.test${nodes[0].attachments[0].url}`;
    const own = await app.handle(new Request(url, { headers: { cookie: ada.cookie! } }));
    expect(own.status).toBe(200);
    expect(own.headers.get("content-type")).toBe("image/jpeg");
    expect(new Uint8Array(await own.arrayBuffer())).toEqual(image);
    const eve = await app.signedUp("eve@example.com");
    expect((await app.handle(new Request(url, { headers: { cookie: eve.cookie! } }))).status).toBe(404);
    expect((await app.handle(new Request(url))).status).toBe(404);
  });

  test("a request with history continues the chat; empty history starts a new one", async () => {
    const first = (await json(await noaRequest({ image: null }))).body;
    const history = JSON.stringify([
      { role: "user", content: first.user_prompt },
      { role: "assistant", content: first.message },
    ]);
    const second = (await json(await noaRequest({ image: null, messages: history, location: "9 Dorking Grove, Liverpool" }))).body;
    expect(second.debug.chat_id).toBe(first.debug.chat_id);
    expect(second.debug.topic_changed).toBe(false);
    // The app's history and the location went to the model.
    const sent = (provider.requests.at(-1)!.body as { messages: { role: string; content: string }[] }).messages;
    expect(sent.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(sent[0]!.content).toContain("9 Dorking Grove, Liverpool");
    const third = (await json(await noaRequest({ image: null, messages: "[]" }))).body;
    expect(third.debug.chat_id).not.toBe(first.debug.chat_id);
    const chat = (await ada.data(chatQuery, { id: first.debug.chat_id })).chat;
    expect(chat.messages.edges).toHaveLength(4);
    // A glasses chat is one linear chain: each message follows the one before, none has versions.
    const chain = (await ada.data(`query($id: ID!) { chat(id: $id) { messages { edges { node { id parentId versionIds } } } } }`, { id: first.debug.chat_id }))
      .chat.messages.edges.map((e: any) => e.node);
    expect(chain.map((m: any) => m.parentId)).toEqual([null, ...chain.slice(0, -1).map((m: any) => m.id)]);
    expect(chain.every((m: any) => m.versionIds.length === 1)).toBe(true);
    expect((await app.db.chat.findUniqueOrThrow({ where: { id: first.debug.chat_id } })).currentLeafId).toBe(chain.at(-1).id);
  });

  test("/mm/mm without the slash, a bare token, X-API-Key and a typed prompt all work; the prompt goes first", async () => {
    const bare = await json(await noaRequest({ prompt: "Please be brief." }, { Authorization: token }, "/mm/mm"));
    expect(bare.status).toBe(200);
    expect(bare.body.user_prompt).toBe(`Please be brief.\n${heard}`);
    const apiKey = await json(await noaRequest({ image: null }, { "X-API-Key": token }));
    expect(apiKey.status).toBe(200);
  });

  test("Whisper was loaded once for all of these requests", () => {
    expect(whisper.loadCount).toBe(1);
    expect(whisper.status().state).toBe("ready");
  });
});

describe("access", () => {
  test.each([
    ["no token", {}],
    ["a wrong token", { Authorization: "Bearer aiui_gl_not-a-real-token" }],
    ["a wrong X-API-Key", { "X-API-Key": "nope" }],
  ])("%s: 401 with a detail, nothing saved", async (_name, headers) => {
    const before = await app.db.message.count();
    const { status, body } = await json(await noaRequest({}, headers as Record<string, string>));
    expect(status).toBe(401);
    expect(typeof body.detail).toBe("string");
    expect(await app.db.message.count()).toBe(before);
  });

  test("a revoked token stops working; lastUsedAt shows use", async () => {
    const created = (await ada.data(`mutation { createGlassesToken(name: "Spare") { secret token { id } } }`)).createGlassesToken;
    expect((await noaRequest({ image: null }, { Authorization: `Bearer ${created.secret}` })).status).toBe(200);
    const listed = (await ada.data(`{ glassesTokens { id lastUsedAt } }`)).glassesTokens.find((t: any) => t.id === created.token.id);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(await app.db.accessToken.count({ where: { tokenHash: created.secret } })).toBe(0);
    await ada.data(`mutation($id: ID!) { revokeGlassesToken(id: $id) }`, { id: created.token.id });
    expect((await noaRequest({ image: null }, { Authorization: `Bearer ${created.secret}` })).status).toBe(401);
  });

  test("the opt-in anonymous user answers requests without a token", async () => {
    const open = await startTestApp({ GLASSES_ANONYMOUS_USER: "Solo@example.com" }, { speech: whisper });
    try {
      const solo = await open.signedUp("solo@example.com");
      await solo.data(`mutation($url: String!) { createModel(input: { name: "M", providerModelId: "echo", baseUrl: $url, apiKey: "sk-provider-key" }) { id } }`, {
        url: provider.url,
      });
      const body = new FormData();
      body.append("messages", "[]");
      body.append("prompt", "hello");
      const response = await open.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", body }));
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).message).toBe("You said: hello");
      const wrong = await open.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", body, headers: { Authorization: "Bearer wrong" } }));
      expect(wrong.status).toBe(401);
    } finally {
      await open.close().catch(() => {});
    }
  });
});

describe("bad input gets its status and a detail naming the problem; the server keeps serving", () => {
  const truncatedWav = () => audio.subarray(0, 30);
  const cases: [string, () => Promise<Response>, number, string][] = [
    ["not multipart", () => app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" })), 400, "multipart/form-data"],
    ["no audio and no prompt", () => noaRequest({ audio: null }), 400, "audio"],
    ["a truncated WAV", () => noaRequest({ audio: truncatedWav() }), 400, "audio"],
    ["a corrupt image", () => noaRequest({ image: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) }), 400, "image"],
    ["messages that are not JSON", () => noaRequest({ messages: "[{role:" }), 400, "messages"],
    ["a message with another role", () => noaRequest({ messages: '[{"role":"tool","content":"x"}]' }), 400, "messages[0].role"],
    ["audio over 25 MB", () => noaRequest({ audio: new Uint8Array(25 * 1024 * 1024 + 1) }), 413, "audio"],
    ["an image over 10 MB", () => noaRequest({ image: new Uint8Array(10 * 1024 * 1024 + 1) }), 413, "image"],
    ["ogg audio without ffmpeg", () => noaRequest({ audio: new Uint8Array([...new TextEncoder().encode("OggS"), ...new Uint8Array(200)]) }), 415, "ffmpeg"],
  ];
  for (const [name, send, status, words] of cases) {
    test(`${name}: ${status}`, async () => {
      const before = await app.db.message.count();
      const result = await json(await send());
      expect(result.status).toBe(status);
      expect(result.body.detail).toContain(words);
      expect(await app.db.message.count()).toBe(before);
      expect((await noaRequest({ image: null, audio: null, prompt: "still there?" })).status).toBe(200);
    });
  }

  test("silence: 200 with an empty user_prompt and a short 'didn't catch that', the model not asked", async () => {
    const silence = new Uint8Array(audio);
    silence.fill(128, 44); // 8-bit unsigned PCM: 128 is zero
    const { status, body } = await json(await noaRequest({ audio: silence }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ user_prompt: "", message: DID_NOT_CATCH_THAT, debug: { topic_changed: false } });
    expect(provider.requests).toHaveLength(0);
  });
});

describe("failures of the model and of speech (tests/glasses/daily-use.test.ts has the rest)", () => {
  test("a provider failure is told to the wearer; the user's message is saved", async () => {
    provider.scriptNext({ error: { status: 500, message: "upstream exploded" } });
    const { status, body } = await json(await noaRequest({ image: null, prompt: "will this work" }));
    expect(status).toBe(200);
    expect(body.debug.error).toMatchObject({ status: 502, code: "PROVIDER_FAILED", detail: expect.stringContaining("internal error (500)") });
    const last = await app.db.message.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 2 });
    expect(last.map((m) => [m.role, m.status])).toEqual([
      ["ASSISTANT", "FAILED"],
      ["USER", "COMPLETE"],
    ]);
    expect(last[1]!.content).toBe(`will this work\n${heard}`);
  });

  test("a speech model that cannot be loaded is told to the wearer, saying which model and what to do", async () => {
    // Through the configuration, as the server builds it at start.
    const offline = await startTestApp({ WHISPER_MODEL: "/nonexistent/whisper-model", WHISPER_ALLOW_REMOTE: "false" });
    try {
      const user = await offline.signedUp("x@example.com");
      await user.data(`mutation($u: String!) { createModel(input: { name: "M", providerModelId: "echo", baseUrl: $u }) { id } }`, { u: provider.url });
      const secret = (await user.data(`mutation { createGlassesToken(name: "F") { secret } }`)).createGlassesToken.secret;
      const body = new FormData();
      body.append("audio", new File([audio], "audio.wav"));
      body.append("messages", "[]");
      const response = await offline.handle(
        new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${secret}` }, body }),
      );
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { message: string; debug: { error: { status: number; code: string; detail: string } } };
      expect(answer.message).toBe("Speech recognition is not available. Tell your AIUI administrator.");
      expect(answer.debug.error).toMatchObject({ status: 503, code: "SPEECH_UNAVAILABLE" });
      expect(answer.debug.error.detail).toContain("/nonexistent/whisper-model");
      expect(answer.debug.error.detail).toContain("WHISPER_ALLOW_REMOTE=true");
      expect(answer.debug.error.detail).toContain("WHISPER_DTYPE=q8");
    } finally {
      await offline.close().catch(() => {});
    }
  });
});

describe("glasses settings", () => {
  afterAll(() =>
    ada.data(`mutation { updateGlassesSettings(input: { spokenAnswers: false, topicStrategy: NEVER, imageModelId: null, modelId: null }) { persona } }`),
  );

  test("spoken answers come back as plain base64 MP3", async () => {
    await ada.data(`mutation { updateGlassesSettings(input: { spokenAnswers: true }) { spokenAnswers } }`);
    const { body } = await json(await noaRequest({ image: null }));
    expect(body.audio).toBe(Buffer.from(FAKE_MP3).toString("base64"));
    expect(provider.requests.some((r) => r.path === "/v1/audio/speech")).toBe(true);
  });

  test("judged by the model: a new topic starts a new chat and says topic_changed", async () => {
    await ada.data(`mutation { updateGlassesSettings(input: { topicStrategy: MODEL, spokenAnswers: false }) { topicStrategy } }`);
    const first = (await json(await noaRequest({ image: null, messages: "[]" }))).body;
    provider.scriptNext({ text: "yes" });
    const history = JSON.stringify([{ role: "user", content: "what's the weather" }, { role: "assistant", content: "Sunny." }]);
    const second = (await json(await noaRequest({ image: null, messages: history }))).body;
    expect(second.debug.topic_changed).toBe(true);
    expect(second.debug.chat_id).not.toBe(first.debug.chat_id);
    // The old topic's history is not sent with the new one.
    const sent = (provider.requests.at(-1)!.body as { messages: { role: string }[] }).messages;
    expect(sent.map((m) => m.role)).toEqual(["system", "user"]);
  });

  test("a picture for a model that cannot see goes to the image model, else the model is told it cannot read it", async () => {
    const blind = (
      await ada.data(`mutation($url: String!) { createModel(input: { name: "Blind", providerModelId: "echo", baseUrl: $url, apiKey: "sk-provider-key" }) { id } }`, {
        url: provider.url,
      })
    ).createModel.id;
    await ada.data(`mutation($m: ID) { updateGlassesSettings(input: { modelId: $m, imageModelId: null, topicStrategy: NEVER }) { persona } }`, { m: blind });
    const unseen = (await json(await noaRequest())).body;
    expect(unseen.debug.image_seen).toBe(false);
    const sent = (provider.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] }).messages;
    expect(sent[0]!.content).toContain("cannot see pictures");
    expect(typeof sent.at(-1)!.content).toBe("string");

    await ada.data(`mutation($m: ID) { updateGlassesSettings(input: { imageModelId: $m }) { imageModel { id } } }`, { m: modelId });
    const seen = (await json(await noaRequest())).body;
    expect(seen.debug.image_seen).toBe(true);
    const chat = await app.db.chat.findUniqueOrThrow({ where: { id: seen.debug.chat_id } });
    expect(chat.modelId).toBe(modelId);
  });
});

test("the route is described in OpenAPI at /openapi/json, with its multipart fields and answers", async () => {
  const spec = (await (await app.handle(new Request("http://aiui.test/openapi/json"))).json()) as any;
  expect(Object.keys(spec.paths)).toContain("/mm/mm/");
  expect(Object.keys(spec.paths)).not.toContain("/graphql");
  const post = spec.paths["/mm/mm/"].post;
  expect(Object.keys(post.requestBody.content["multipart/form-data"].schema.properties)).toEqual(["audio", "image", "messages", "location", "time", "prompt"]);
  expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(["200", "401", "413", "415", "502", "503"]));
});

test("with STT_BACKEND=openai the recording is transcribed by an OpenAI-compatible /audio/transcriptions", async () => {
  const remote = await startTestApp({ STT_BACKEND: "openai", STT_OPENAI_BASE_URL: provider.url, STT_OPENAI_API_KEY: "sk-provider-key" });
  try {
    const user = await remote.signedUp("remote@example.com");
    await user.data(`mutation($url: String!) { createModel(input: { name: "M", providerModelId: "echo", baseUrl: $url, apiKey: "sk-provider-key" }) { id } }`, {
      url: provider.url,
    });
    const secret = (await user.data(`mutation { createGlassesToken(name: "F") { secret } }`)).createGlassesToken.secret;
    const body = new FormData();
    body.append("audio", new File([audio], "audio.wav"));
    body.append("messages", "[]");
    const response = await remote.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${secret}` }, body }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).user_prompt).toBe(DEFAULT_TRANSCRIPT);
    const transcription = provider.requests.find((r) => r.path === "/v1/audio/transcriptions")!;
    expect(transcription.headers.authorization).toBe("Bearer sk-provider-key");
    expect(transcription.form?.model).toBe("whisper-1");
  } finally {
    await remote.close();
  }
});

test("a long history from the app is trimmed oldest-first to the model's context window", async () => {
  const small = (
    await ada.data(
      `mutation($url: String!) { createModel(input: { name: "Small", providerModelId: "echo", baseUrl: $url, apiKey: "sk-provider-key", contextWindow: 1000, maxTokens: 200 }) { id } }`,
      { url: provider.url },
    )
  ).createModel.id;
  await ada.data(`mutation($m: ID) { updateGlassesSettings(input: { modelId: $m, imageModelId: null, topicStrategy: NEVER, spokenAnswers: false }) { persona } }`, {
    m: small,
  });
  try {
    const history = Array.from({ length: 40 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `turn ${i} ${"x".repeat(200)}` }));
    const { status } = await json(await noaRequest({ image: null, messages: JSON.stringify(history) }));
    expect(status).toBe(200);
    const sent = (provider.requests.at(-1)!.body as { messages: { role: string; content: string }[] }).messages;
    expect(sent.length).toBeLessThan(history.length + 2);
    expect(sent[0]!.role).toBe("system");
    expect(sent[1]!.role).toBe("user");
    expect(sent.at(-2)!.content).toStartWith("turn 39 ");
    expect(sent.at(-1)).toEqual({ role: "user", content: heard });
  } finally {
    await ada.data(`mutation { updateGlassesSettings(input: { modelId: null }) { persona } }`);
  }
});
