/**
 * Long-term memory end to end, on every database: the real app, glasses requests
 * (speech through STT_BACKEND=openai at the loopback provider), web chats over GraphQL,
 * the real `openai` SDK against the loopback provider, whose recorded requests show what
 * each model call carried, and how many there were.
 *
 * The users' model is "memo" on the fake provider: it echoes, except for memory's
 * extraction requests, which get the next answer a test queued in `extractions`
 * ('{"operations": []}' when none is queued).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { estimateTokens } from "../../server/src/generation/index.ts";
import { EXTRACTION_INSTRUCTION } from "../../server/src/memory/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type ChatRequest, type FakeProvider, type RecordedRequest, startFakeProvider } from "../support/fake-provider.ts";
import { fixture } from "../support/fixtures.ts";
import { createChat, createModel, send, settled } from "../support/replies.ts";

let app: TestApp;
let provider: FakeProvider;
let audio: Uint8Array<ArrayBuffer>;
let extractions: string[] = [];
const logged: string[] = [];

const isExtraction = (request: ChatRequest) => request.messages?.[0]?.content === EXTRACTION_INSTRUCTION;
const memo = () => ({ textFor: (request: ChatRequest) => (isExtraction(request) ? (extractions.shift() ?? '{"operations": []}') : undefined) });
const add = (...texts: string[]) => JSON.stringify({ operations: texts.map((text) => ({ op: "add", text })) });

beforeAll(async () => {
  provider = await startFakeProvider();
  app = await startTestApp({ STT_BACKEND: "openai", STT_OPENAI_BASE_URL: provider.url, FFMPEG_PATH: "/nonexistent/ffmpeg" });
  audio = await fixture("noa-app-request-audio.wav");
  const originalError = console.error;
  // Memory logs through console.error; kept here so tests can say what was logged.
  console.error = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (line.includes("Memory:")) logged.push(line);
    else originalError(...args);
  };
});
afterAll(async () => {
  await app.close();
  await provider.stop();
});
beforeEach(() => {
  provider.reset();
  provider.script("memo", memo());
  extractions = [];
  logged.length = 0;
});

interface User {
  client: TestClient;
  id: string;
  modelId: string;
  token: string;
}

let users = 0;
async function newUser(options: { memory?: boolean } = {}): Promise<User> {
  const email = `user${++users}-${crypto.randomUUID().slice(0, 6)}@example.com`;
  const client = await app.signedUp(email);
  const id = (await client.data(`{ viewer { id } }`)).viewer.id;
  const modelId = await createModel(client, provider.url, { providerModelId: "memo", name: "Memo" });
  const token = (await client.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
  if (options.memory !== false) await setMemory(client, true);
  return { client, id, modelId, token };
}

async function setMemory(client: TestClient, enabled: boolean) {
  const result = await client.data(`mutation($e: Boolean) { updateMemorySettings(input: { enabled: $e }) { enabled } }`, { e: enabled });
  expect(result.updateMemorySettings.enabled).toBe(enabled);
}

/** A glasses request: typed (`prompt`) or spoken (the fixture recording, heard as `said`). */
async function glasses(user: User, input: { prompt?: string; said?: string; history?: { role: string; content: string }[] }) {
  const body = new FormData();
  if (input.said !== undefined) {
    provider.scriptNext({ text: input.said });
    body.append("audio", new File([audio], "audio.wav"));
  }
  if (input.prompt !== undefined) body.append("prompt", input.prompt);
  body.append("messages", JSON.stringify(input.history ?? []));
  body.append("location", "");
  body.append("time", "2025-07-07 08:15:00.000000");
  const response = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${user.token}` }, body }));
  const answer = (await response.json()) as { user_prompt: string; message: string; debug: { chat_id: string } };
  expect(response.status).toBe(200);
  return answer;
}

/** One web message and its complete reply, in a new chat unless one is given. */
async function web(user: User, content: string, chatId?: string) {
  const chat = chatId ?? (await createChat(user.client, user.modelId));
  const sent = await send(user.client, chat, content);
  const reply = await settled(app, sent.reply.id);
  expect(reply.status).toBe("COMPLETE");
  return { chatId: chat, reply };
}

const chatCalls = () => provider.requests.filter((r) => r.path === "/v1/chat/completions");
const answerCalls = () => chatCalls().filter((r) => !isExtraction(r.body as ChatRequest));
const extractionCalls = () => chatCalls().filter((r) => isExtraction(r.body as ChatRequest));
const embeddingCalls = () => provider.requests.filter((r) => r.path === "/v1/embeddings");
const systemPromptOf = (request: RecordedRequest) => {
  const first = (request.body as ChatRequest).messages?.[0];
  return first?.role === "system" ? String(first.content) : "";
};
const lastAnswerSystemPrompt = () => systemPromptOf(answerCalls().at(-1)!);

const MEMORIES = `query($search: String) { memories(first: 100, search: $search) { totalCount edges { node { id text sourceChatId lastUsedAt createdAt updatedAt } } } }`;
async function memoriesOf(user: User, search?: string) {
  const result = await user.client.data(MEMORIES, { search });
  return result.memories.edges.map((e: any) => e.node) as { id: string; text: string; sourceChatId: string | null; lastUsedAt: string | null; updatedAt: string }[];
}

const settle = () => app.services.memory.idle();

async function until(condition: () => boolean, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

describe("memory off (the default)", () => {
  test("no recall, no extraction call, no embeddings, for glasses and web alike; memories stay stored", async () => {
    const ada = await newUser({ memory: false });
    expect((await ada.client.data(`{ memorySettings { enabled } }`)).memorySettings.enabled).toBe(false);
    await ada.client.data(`mutation { createMemory(text: "My daughter is called Ada.") { id } }`);

    await glasses(ada, { said: "What is my daughter called?" });
    await web(ada, "What is my daughter called?");
    await settle();
    expect(answerCalls()).toHaveLength(2);
    expect(extractionCalls()).toHaveLength(0);
    expect(embeddingCalls()).toHaveLength(0);
    for (const call of answerCalls()) expect(systemPromptOf(call)).not.toContain("Ada");
    expect(await memoriesOf(ada)).toHaveLength(1);
  });

  test("the same exchanges with memory on do call extraction: the count above is not trivially zero", async () => {
    const ada = await newUser();
    await glasses(ada, { said: "What is my daughter called?" });
    await web(ada, "What is my daughter called?");
    await settle();
    expect(extractionCalls()).toHaveLength(2);
  });

  test("asked to remember while off: nothing is stored and the model is told memory is off", async () => {
    const ada = await newUser({ memory: false });
    await glasses(ada, { prompt: "Remember that my car is parked on level 3." });
    await settle();
    expect(lastAnswerSystemPrompt()).toContain("Memory is turned off");
    expect(await memoriesOf(ada)).toEqual([]);
    expect(extractionCalls()).toHaveLength(0);
  });
});

describe("across glasses and web", () => {
  test("a fact said through the glasses on Monday is used in a web chat on Tuesday", async () => {
    const ada = await newUser();
    // Monday, through the glasses' microphone.
    extractions.push(add("The user's daughter is called Ada."));
    const monday = await glasses(ada, { said: "My daughter is called Ada." });
    expect(monday.user_prompt).toBe("My daughter is called Ada.");
    await settle();

    const extraction = extractionCalls();
    expect(extraction).toHaveLength(1);
    // The extraction request carried the exchange; it went to the user's own model, off the answer's path.
    expect(JSON.stringify((extraction[0]!.body as ChatRequest).messages)).toContain("User: My daughter is called Ada.");
    expect(extraction[0]!.model).toBe("memo");
    const [memory] = await memoriesOf(ada);
    expect(memory).toMatchObject({ text: "The user's daughter is called Ada.", sourceChatId: monday.debug.chat_id, lastUsedAt: null });
    // Embedded by the model's provider, stored with the embedding model's id.
    const stored = await app.db.memory.findUniqueOrThrow({ where: { id: memory!.id } });
    expect(stored.embeddingModel).toBe("text-embedding-3-small");
    expect(stored.embedding?.byteLength).toBeGreaterThan(0);
    // Make it Monday's.
    const monday8am = new Date(Date.now() - 24 * 3600_000);
    await app.db.memory.update({ where: { id: memory!.id }, data: { createdAt: monday8am, updatedAt: monday8am } });

    // Tuesday, in a new web chat.
    await web(ada, "What is my daughter's name?");
    await settle();
    const prompt = lastAnswerSystemPrompt();
    expect(prompt).toContain("What you remember about the user");
    expect(prompt).toContain("- The user's daughter is called Ada.");
    const [used] = await memoriesOf(ada);
    expect(used!.lastUsedAt).not.toBeNull();
    // Being used is not a change of the text.
    expect(new Date(used!.updatedAt).getTime()).toBe(monday8am.getTime());

    // Deleting the chat it was learned in keeps the memory, without its source.
    await ada.client.data(`mutation($id: ID!) { deleteChat(id: $id) }`, { id: monday.debug.chat_id });
    expect(await memoriesOf(ada)).toMatchObject([{ text: "The user's daughter is called Ada.", sourceChatId: null }]);
  });

  test("nothing relevant, nothing added: an unrelated request's prompt has no memory section", async () => {
    const ada = await newUser();
    await ada.client.data(`mutation { createMemory(text: "My daughter is called Ada.") { id } }`);
    await web(ada, "How tall is Mount Everest?");
    expect(lastAnswerSystemPrompt()).toBe("");
  });

  test("the reply never waits for extraction: the answer is back while the extraction call is still open", async () => {
    const ada = await newUser();
    // Queued behaviours: the answer (echo), then the extraction, which takes a while.
    provider.scriptNext({});
    provider.scriptNext({ text: add("The user's cat is called Tom."), firstTokenDelayMs: 2500 });
    await glasses(ada, { prompt: "My cat is called Tom." });
    // The extraction request goes out after the answer (when depends on the machine); its answer takes 2.5 s.
    await until(() => extractionCalls().length === 1);
    expect(await memoriesOf(ada)).toEqual([]);
    await settle();
    expect((await memoriesOf(ada)).map((m) => m.text)).toEqual(["The user's cat is called Tom."]);
  });

  test("an unreadable extraction answer stores nothing and is logged once, however often it happens", async () => {
    const ada = await newUser();
    extractions.push("I found nothing worth noting.", "Still nothing.");
    await glasses(ada, { prompt: "Nice weather today." });
    await glasses(ada, { prompt: "Nice weather again." });
    await settle();
    expect(extractionCalls()).toHaveLength(2);
    expect(await memoriesOf(ada)).toEqual([]);
    expect(logged.filter((line) => line.includes("held no JSON"))).toHaveLength(1);
  });
});

describe("explicit requests", () => {
  test("'remember that …' is stored at once and the answer is asked to confirm; 'forget that' removes it", async () => {
    const ada = await newUser();
    const remembered = await glasses(ada, { prompt: "Remember that my car is parked on level 3." });
    // Stored before the answer came back, with no background work needed.
    expect((await app.db.memory.findMany({ where: { userId: ada.id } })).map((m) => m.text)).toEqual(["My car is parked on level 3."]);
    expect(lastAnswerSystemPrompt()).toContain("you have just saved to your memory: “My car is parked on level 3.”");
    await settle();
    // No extraction for an explicit request; the memory's source is the glasses chat.
    expect(extractionCalls()).toHaveLength(0);
    expect((await memoriesOf(ada))[0]!.sourceChatId).toBe(remembered.debug.chat_id);

    // "forget that" refers to the exchange before it (the app sends it as history).
    await glasses(ada, {
      prompt: "Forget that.",
      history: [
        { role: "user", content: remembered.user_prompt },
        { role: "assistant", content: "Got it: your car is on level 3." },
      ],
    });
    expect(await memoriesOf(ada)).toEqual([]);
    expect(lastAnswerSystemPrompt()).toContain("you have just deleted from your memory: “My car is parked on level 3.”");
    await settle();
    expect(extractionCalls()).toHaveLength(0);
  });

  test("'forget that …' naming the memory, in a web chat; a vague one deletes nothing and names the closest", async () => {
    const ada = await newUser();
    for (const text of ["I like tennis.", "My car is parked on level 3.", "My car is red."]) {
      await ada.client.data(`mutation($t: String!) { createMemory(text: $t) { id } }`, { t: text });
    }
    await web(ada, "Forget that I like football.");
    expect(lastAnswerSystemPrompt()).toContain("nothing was deleted");
    expect(lastAnswerSystemPrompt()).toContain("“I like tennis.”");
    expect(await memoriesOf(ada)).toHaveLength(3);

    await web(ada, "Forget that my car is parked on level 3.");
    expect((await memoriesOf(ada)).map((m) => m.text).sort()).toEqual(["I like tennis.", "My car is red."]);
    await web(ada, "forget about my car");
    expect((await memoriesOf(ada)).map((m) => m.text)).toEqual(["I like tennis."]);
  });

  test("'What do you remember about me?' on the glasses is answered from the memories", async () => {
    const ada = await newUser();
    await glasses(ada, { prompt: "What do you remember about me?" });
    expect(lastAnswerSystemPrompt()).toContain("You have 0 memories of them");

    for (const text of ["I'm vegetarian.", "My daughter is called Ada.", "My car is parked on level 3."]) {
      await ada.client.data(`mutation($t: String!) { createMemory(text: $t) { id } }`, { t: text });
    }
    await glasses(ada, { prompt: "What do you remember about me?" });
    const prompt = lastAnswerSystemPrompt();
    expect(prompt).toContain("The user asks what you remember about them. You have 3 memories of them");
    for (const text of ["I'm vegetarian.", "My daughter is called Ada.", "My car is parked on level 3."]) expect(prompt).toContain(`- ${text}`);
    // The persona for the small display is still there, first.
    expect(prompt).toStartWith("You are Noa");
  });
});

describe("duplicates and contradictions update instead of piling up", () => {
  test("an explicit correction rewrites the memory; the same fact again is one memory", async () => {
    const ada = await newUser();
    await glasses(ada, { prompt: "Remember that my car is parked on level 3." });
    await glasses(ada, { prompt: "Remember that my car is parked on level 5." });
    expect((await memoriesOf(ada)).map((m) => m.text)).toEqual(["My car is parked on level 5."]);
    expect(lastAnswerSystemPrompt()).toContain("changed a memory from “My car is parked on level 3.” to “My car is parked on level 5.”");
    await glasses(ada, { prompt: "remember that my car is parked on level 5" });
    expect(lastAnswerSystemPrompt()).toContain("You already remember this");
    expect(await memoriesOf(ada)).toHaveLength(1);
  });

  test("a learned fact that repeats or corrects one the model was shown updates it", async () => {
    const ada = await newUser();
    extractions.push(add("The user's daughter is called Ada."));
    await web(ada, "My daughter is called Ada.");
    await settle();
    const [first] = await memoriesOf(ada);
    // The model "adds" what is there already, then corrects it with an update of its id.
    extractions.push(add("The user's daughter is named Ada."));
    await web(ada, "Did I tell you my daughter is named Ada?");
    await settle();
    expect(JSON.stringify((extractionCalls().at(-1)!.body as ChatRequest).messages)).toContain(first!.id);
    expect((await memoriesOf(ada)).map((m) => [m.id, m.text])).toEqual([[first!.id, "The user's daughter is named Ada."]]);
    extractions.push(JSON.stringify({ operations: [{ op: "update", id: first!.id, text: "The user's daughter is called Ada Lovelace." }] }));
    await web(ada, "Her full name is Ada Lovelace, by the way; my daughter, I mean.");
    await settle();
    expect((await memoriesOf(ada)).map((m) => [m.id, m.text])).toEqual([[first!.id, "The user's daughter is called Ada Lovelace."]]);
    // A memory the model was not shown cannot be touched by it.
    const other = await newUser();
    const foreign = (await other.client.data(`mutation { createMemory(text: "Eve's secret.") { id } }`)).createMemory.id;
    extractions.push(JSON.stringify({ operations: [{ op: "delete", id: foreign }] }));
    await web(ada, "My daughter likes secrets.");
    await settle();
    expect(await memoriesOf(other)).toHaveLength(1);
  });

  test("typing the same memory twice on the Memory page is one memory", async () => {
    const ada = await newUser();
    const a = await ada.client.data(`mutation { createMemory(text: "I'm vegetarian.") { id } }`);
    const b = await ada.client.data(`mutation { createMemory(text: "  i'm VEGETARIAN ") { id } }`);
    expect(b.createMemory.id).toBe(a.createMemory.id);
    expect(await memoriesOf(ada)).toHaveLength(1);
  });
});

describe("isolation", () => {
  test("another user never sees, finds, changes or is answered with someone's memories", async () => {
    const ada = await newUser();
    const eve = await newUser();
    extractions.push(add("The user's daughter is called Ada."));
    await glasses(ada, { prompt: "My daughter is called Ada." });
    await settle();
    const [adas] = await memoriesOf(ada);
    expect(adas).toBeDefined();

    await glasses(eve, { prompt: "What is my daughter called?" });
    await web(eve, "What is my daughter's name?");
    for (const call of answerCalls()) expect(systemPromptOf(call)).not.toContain("Ada");
    await glasses(eve, { prompt: "What do you remember about me?" });
    expect(lastAnswerSystemPrompt()).toContain("You have 0 memories");
    expect(await memoriesOf(eve)).toEqual([]);
    expect(await memoriesOf(eve, "daughter")).toEqual([]);
    await glasses(eve, { prompt: "forget about my daughter" });
    await eve.client.data(`mutation { forgetAllMemories }`);

    for (const mutation of [`mutation($id: ID!) { updateMemory(id: $id, text: "Hijacked") { id } }`, `mutation($id: ID!) { deleteMemory(id: $id) }`]) {
      const result = await eve.client.request(mutation, { id: adas!.id });
      expect(result.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    }
    expect((await memoriesOf(ada)).map((m) => m.text)).toEqual(["The user's daughter is called Ada."]);
  });
});

describe("relevance", () => {
  test("full text: word prefixes, most relevant first, bounded in tokens however many match", async () => {
    const ada = await newUser();
    const long = "The user's garden has a long story: ".concat("roses and tomatoes planted along the fence, ".repeat(4));
    for (let i = 0; i < 40; i++) await ada.client.data(`mutation($t: String!) { createMemory(text: $t) { id } }`, { t: `${long} (${i})` });
    await ada.client.data(`mutation { createMemory(text: "My car is parked on level 3.") { id } }`);
    await web(ada, "Where did I park?");
    expect(lastAnswerSystemPrompt()).toContain("My car is parked on level 3.");
    expect(lastAnswerSystemPrompt()).not.toContain("garden");

    await web(ada, "What's growing in my garden?");
    const prompt = lastAnswerSystemPrompt();
    expect(prompt).toContain("garden");
    expect(estimateTokens(prompt)).toBeLessThanOrEqual(app.config.memory.promptTokens);
    expect(prompt.split("\n- ").length - 1).toBeLessThan(40);
  });

  test("embeddings find what words cannot; without them full text still works, and a provider without /v1/embeddings is asked once", async () => {
    // Meaning, scripted: food-related texts point one way, everything else another.
    provider.script("text-embedding-3-small", { embed: (text) => (/vegetarian|dinner|cook|eat/i.test(text) ? [1, 0.1] : [0, 1]) });
    const ada = await newUser();
    await ada.client.data(`mutation { createMemory(text: "I'm vegetarian.") { id } }`);
    await ada.client.data(`mutation { createMemory(text: "My car is parked on level 3.") { id } }`);
    // The first request finds the memories without vectors and embeds them in the background.
    await web(ada, "Anything new?");
    await settle();
    const stored = await app.db.memory.findMany({ where: { userId: ada.id } });
    expect(stored.every((m) => m.embeddingModel === "text-embedding-3-small")).toBe(true);
    expect(stored.every((m) => m.updatedAt.getTime() === m.createdAt.getTime())).toBe(true);

    await web(ada, "What should I make for dinner tonight?");
    const prompt = lastAnswerSystemPrompt();
    expect(prompt).toContain("I'm vegetarian.");
    expect(prompt).not.toContain("level 3");

    // An edited memory loses its vector (it described the old text) and gets a new one on next use.
    const vegetarian = stored.find((m) => m.text === "I'm vegetarian.")!;
    await ada.client.data(`mutation($id: ID!) { updateMemory(id: $id, text: "I'm vegan.") { id } }`, { id: vegetarian.id });
    expect((await app.db.memory.findUniqueOrThrow({ where: { id: vegetarian.id } })).embedding).toBeNull();

    // A provider with no embeddings endpoint: full text only, one probe however many requests.
    const chatOnly = await startFakeProvider({ embeddings: false });
    try {
      chatOnly.script("memo", memo());
      const eve = await newUser();
      const modelId = await createModel(eve.client, chatOnly.url, { providerModelId: "memo", name: "Chat only" });
      await eve.client.data(`mutation { createMemory(text: "I'm vegetarian.") { id } }`);
      const chatId = await createChat(eve.client, modelId);
      for (const question of ["What should I cook?", "Anything else to eat?", "Am I vegetarian?"]) await web(eve, question, chatId);
      await settle();
      expect(chatOnly.requests.filter((r) => r.path === "/v1/embeddings")).toHaveLength(1);
      const last = chatOnly.requests.filter((r) => r.path === "/v1/chat/completions" && !isExtraction(r.body as ChatRequest)).at(-1)!;
      expect(systemPromptOf(last)).toContain("I'm vegetarian.");
      expect(logged.filter((line) => line.includes("gave no embeddings"))).toHaveLength(1);
    } finally {
      await chatOnly.stop();
    }
  });
});

describe("the Memory page's API", () => {
  test("list newest first, search by word prefix, edit, delete, forget everything, turn off", async () => {
    const ada = await newUser();
    const ids: string[] = [];
    for (const text of ["I'm vegetarian.", "My daughter is called Ada.", "My car is parked on level 3."]) {
      ids.push((await ada.client.data(`mutation($t: String!) { createMemory(text: $t) { id } }`, { t: text })).createMemory.id);
    }
    const listed = await ada.client.data(MEMORIES);
    expect(listed.memories.totalCount).toBe(3);
    expect(listed.memories.edges.map((e: any) => e.node.text)).toEqual(["My car is parked on level 3.", "My daughter is called Ada.", "I'm vegetarian."]);
    const found = await ada.client.data(MEMORIES, { search: "daugh" });
    expect(found.memories.totalCount).toBe(1);
    expect(found.memories.edges[0].node.text).toBe("My daughter is called Ada.");
    expect((await memoriesOf(ada, "the")).length).toBe(0);

    const edited = await ada.client.data(`mutation($id: ID!) { updateMemory(id: $id, text: "  My daughter is called Ada Lovelace. ") { text } }`, { id: ids[1] });
    expect(edited.updateMemory.text).toBe("My daughter is called Ada Lovelace.");
    expect((await memoriesOf(ada, "lovelace")).map((m) => m.id)).toEqual([ids[1]]);
    const tooLong = await ada.client.request(`mutation($id: ID!) { updateMemory(id: $id, text: $t) { text } }`.replace("$t", JSON.stringify("x".repeat(501))), { id: ids[1] });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "text" });
    const empty = await ada.client.request(`mutation { createMemory(text: "   ") { id } }`);
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "text" });

    expect((await ada.client.data(`mutation($id: ID!) { deleteMemory(id: $id) }`, { id: ids[0] })).deleteMemory).toBe(ids[0]);
    expect(await memoriesOf(ada)).toHaveLength(2);

    await setMemory(ada.client, false);
    await web(ada, "Where is my car parked?");
    expect(lastAnswerSystemPrompt()).toBe("");
    expect((await ada.client.data(`mutation { forgetAllMemories }`)).forgetAllMemories).toBe(2);
    expect(await memoriesOf(ada)).toEqual([]);
    expect((await ada.client.data(`{ memorySettings { enabled embeddingModel maxTextLength } }`)).memorySettings).toEqual({
      enabled: false,
      embeddingModel: "text-embedding-3-small",
      maxTextLength: 500,
    });
  });
});
