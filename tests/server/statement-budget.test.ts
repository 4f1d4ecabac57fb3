/**
 * The statement budgets of issue 13 (docs/decisions/0014-performance.md): what one operation
 * sends to the database, counted at the driver (tests/support/statements.ts) on the real
 * app and database. Over budget, the test lists the statements sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SESSION_COOKIE } from "../../server/src/accounts/index.ts";
import { hashToken, newToken } from "../../server/src/crypto/tokens.ts";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import type { SpeechToText } from "../../server/src/speech/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { testProvider } from "../support/database.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { fixture, noaAppForm } from "../support/fixtures.ts";
import { createModel, SEND, settled } from "../support/replies.ts";
import { listing, StatementCounter } from "../support/statements.ts";
import { REPLY_STREAM, sseEvents } from "../support/streams.ts";

const counter = new StatementCounter();
/** Speech at its interface: the route's own decoding and checks run, the transcript is fixed. */
const instantSpeech: SpeechToText = { transcribe: async () => ({ text: "What's the capital of France?", ms: 0 }), close: async () => {} };
let app: TestApp;
let provider: FakeProvider;
let ada: TestClient;
let modelId: string;

let chatId: string;
beforeAll(async () => {
  provider = await startFakeProvider();
  app = await startTestApp({}, { statements: counter, speech: instantSpeech });
  ada = await app.signedUp("ada@example.com");
  modelId = await createModel(ada, provider.url);
  for (let i = 0; i < 25; i++) {
    chatId = (await ada.data(`mutation($input: CreateChatInput) { createChat(input: $input) { id } }`, { input: { modelId, title: `Chat ${i}` } })).createChat.id;
  }
}, 60_000);

afterAll(async () => {
  await app.close();
  await provider.stop();
});

/**
 * Issue 13's budget for a send (5) is met on SQLite and PostgreSQL; a Noa request's (6, one
 * commit) is not yet (docs/decisions/0014-performance.md lists what the statements are and
 * what is left): these hold the counts reached so far, so no change adds statements
 * unnoticed. MySQL has no RETURNING: a write whose row is needed is followed by a read (a
 * send's claim reads the chat's locked row: one more).
 */
const mysql = testProvider() === "mysql";
/** The model, the claim's update of the chat, its message tree, the question and reply in one insert, the chat's new leaf. */
const SEND_STATEMENTS = mysql ? 6 : 5;
/**
 * The same, and the branch answered: its text, and its attachments by message id (a first
 * message has none). Counting them in the text's read (Prisma's `_count`) would be one
 * statement less, but joins an aggregate of every user's attachments.
 */
const NEXT_SEND_STATEMENTS = mysql ? 8 : 7;
/** The model; the chat created with the question and the reply in one nested create (Prisma reads the chat's id back after it). */
const NEW_CHAT_SEND_STATEMENTS = 4;
/**
 * A remembered setup reads nothing; the 8 are the exchange's one write (5 statements and
 * Prisma's read-back), the reply's final write and the usage row (decision 0021). Two commits
 * are by design: the question and its pending reply are committed before the model is asked
 * (tests/glasses/crash.test.ts), the answer after. The third is the usage row, written after the
 * answer went out (the wearer waits for 7 statements and 2 commits).
 */
const NOA_STATEMENTS = mysql ? 10 : 8;
const NOA_COMMITS = 3;

const VIEWER_AND_CHATS = `{ viewer { id } chats(first: 20) { edges { node { id title } } } }`;

describe("GraphQL", () => {
  test("viewer + chats(first: 20) is at most 2 statements, the session lookup included (a session started by another instance)", async () => {
    const token = newToken();
    const { id: userId } = (await ada.data(`{ viewer { id } }`)).viewer;
    await app.db.session.create({ data: { tokenHash: hashToken(token), userId, expiresAt: new Date(Date.now() + 86_400_000) } });
    const elsewhere = app.client();
    elsewhere.cookie = `${SESSION_COOKIE}=${token}`;
    const counted = await counter.during(() => elsewhere.data(VIEWER_AND_CHATS));
    expect(counted.statements, listing(counted)).toBeLessThanOrEqual(2);
    expect(counted.commits, listing(counted)).toBe(0);
  });

  test("viewer + chats(first: 20) is at most 2 statements after a restart (a new instance on the same database knows neither the session nor its user)", async () => {
    const restartedCounter = new StatementCounter();
    const restarted = await startTestApp({}, { instanceOf: app, statements: restartedCounter });
    try {
      const browser = restarted.client();
      browser.cookie = ada.cookie;
      const counted = await restartedCounter.during(() => browser.data(VIEWER_AND_CHATS));
      expect(counted.statements, listing(counted)).toBeLessThanOrEqual(2);
      expect(counted.commits, listing(counted)).toBe(0);
      const again = await restartedCounter.during(() => browser.data(VIEWER_AND_CHATS));
      expect(again.statements, listing(again)).toBe(1);
    } finally {
      await restarted.close();
    }
  });

  test("viewer + chats(first: 20) for a session this instance knows is 1 statement", async () => {
    const counted = await counter.during(() => ada.data(VIEWER_AND_CHATS));
    expect(counted.statements, listing(counted)).toBe(1);
  });

  test("the chat list reads only the columns its nodes ask for (id and title, not the whole row)", async () => {
    const counted = await counter.during(() => ada.data(VIEWER_AND_CHATS));
    const read = counted.sql.find((sql) => /\bFROM\b[\s\S]*\bChat\b/i.test(sql) && !/\bSession\b/.test(sql)) ?? "";
    expect(read, listing(counted)).toMatch(/\btitle\b/);
    for (const column of ["currentLeafId", "apiThreadKey", "titleSetByUser", "modelId", "createdAt"]) expect(read, listing(counted)).not.toContain(column);
  });

  test("a chat list whose nodes ask for more than columns (a fragment with the model, the messages) gets them (the whole row is read, as before)", async () => {
    const query = `{ chats(first: 2) { edges { node { ...Row ... on Chat { updatedAt } } } } }
      fragment Row on Chat { id title source model { id } messages(first: 1) { edges { node { id } } } }`;
    const chats = (await ada.data(query)).chats.edges.map((edge: { node: unknown }) => edge.node);
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat).toMatchObject({ source: "WEB", model: { id: modelId }, messages: { edges: [] } });
      expect(new Date(chat.updatedAt).toISOString()).toBe(chat.updatedAt);
    }
  });

  test("a chat list merged from a fragment and the query, in a document whose other operation spreads the fragment alone, reads each one's columns", async () => {
    const document = `fragment Ids on Query { chats(first: 2) { edges { node { id } } } }
      query Merged { ...Ids chats(first: 2) { edges { node { model { id } } } } }
      query Alone { ...Ids }`;
    const operation = async (operationName: string) => {
      const headers = { "content-type": "application/json", [CSRF_HEADER]: "1", cookie: ada.cookie ?? "" };
      const response = await app.handle(new Request("http://aiui.test/graphql", { method: "POST", headers, body: JSON.stringify({ query: document, operationName }) }));
      const result = (await response.json()) as { data: { chats: { edges: { node: unknown }[] } } };
      return result.data;
    };
    const alone = await operation("Alone");
    expect(alone.chats.edges).toHaveLength(2);
    const counted = await counter.during(async () => {
      const merged = await operation("Merged");
      for (const edge of merged.chats.edges) expect(edge.node).toEqual({ id: expect.any(String), model: { id: modelId } });
    });
    // The chats with their models (Prisma's include: a second statement), no load per chat.
    expect(counted.statements, listing(counted)).toBe(2);
  });

  test("chat(id) reads the chat once; another user's chat is NOT_FOUND", async () => {
    const counted = await counter.during(() => ada.data(`query($id: ID!) { chat(id: $id) { id title } }`, { id: chatId }));
    expect(counted.statements, listing(counted)).toBe(1);
    const bob = await app.signedUp("bob@example.com");
    const other = await bob.request(`query($id: ID!) { chat(id: $id) { id title } }`, { id: chatId });
    expect(other.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  test("replyStream for one's own reply being written here reads nothing; another user following it is refused NOT_FOUND", async () => {
    provider.script("echo", { text: "One two three four.", firstTokenDelayMs: 150, delayMsPerToken: 40 });
    const own = (await ada.data(`mutation($input: CreateChatInput) { createChat(input: $input) { id } }`, { input: { modelId } })).createChat.id;
    const { sendMessage } = await ada.data(SEND, { chatId: own, content: "Count to four." });
    const follow = (cookie: string) =>
      app.handle(
        new Request("http://aiui.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream", [CSRF_HEADER]: "1", cookie },
          body: JSON.stringify({ query: REPLY_STREAM, variables: { id: sendMessage.reply.id } }),
        }),
      );
    let text = "";
    const counted = await counter.during(async () => {
      const response = await follow(ada.cookie!);
      // The first event is the text so far (the snapshot): the follower is attached by then.
      for await (const { event, data } of sseEvents(response.body!)) {
        if (event !== "next") continue;
        text += JSON.parse(data).data.replyStream.delta;
        break;
      }
    });
    // A checkpoint of the reply (an UPDATE) may fall in the window; no read may.
    expect(counted.sql.filter((sql) => /^\s*SELECT/i.test(sql)), listing(counted)).toEqual([]);
    const bob = await app.signedUp("bob-follows@example.com");
    const refused = await (await follow(bob.cookie!)).text();
    expect(refused).toContain("NOT_FOUND");
    expect(refused).not.toContain("One");
    expect((await settled(app, sendMessage.reply.id)).content).toBe("One two three four.");
    expect("One two three four.".startsWith(text)).toBe(true);
  });

  test("the same query again, the session known, still answers with the signed-in user's chats", async () => {
    const { viewer, chats } = await ada.data(VIEWER_AND_CHATS);
    expect(viewer.id).toBeString();
    expect(chats.edges).toHaveLength(20);
  });

  /** What a send sends until the provider is asked, and its reply's final text. */
  async function countedSend(content: string, answer: string) {
    provider.script("echo", { text: answer, firstTokenDelayMs: 300 });
    let replyId = "";
    const counted = await counter.during(async () => {
      const asked = provider.requests.length;
      const { sendMessage } = await ada.data(SEND, { chatId, content });
      replyId = sendMessage.reply.id;
      while (provider.requests.length === asked) await Bun.sleep(2);
    });
    return { counted, text: (await settled(app, replyId)).content };
  }

  test(`sendMessage starting a new chat, up to the provider being asked, is at most ${NEW_CHAT_SEND_STATEMENTS} statements`, async () => {
    provider.script("echo", { text: "Rome.", firstTokenDelayMs: 300 });
    let replyId = "";
    const counted = await counter.during(async () => {
      const asked = provider.requests.length;
      const { sendMessage } = await ada.data(
        `mutation($content: String!, $modelId: ID) { sendMessage(content: $content, modelId: $modelId) { chat { id title model { id } } reply { id } } }`,
        { content: "What's the capital of Italy?", modelId },
      );
      expect(sendMessage.chat.title).toBe("What's the capital of Italy?");
      expect(sendMessage.chat.model.id).toBe(modelId);
      replyId = sendMessage.reply.id;
      while (provider.requests.length === asked) await Bun.sleep(2);
    });
    expect(counted.statements, listing(counted)).toBeLessThanOrEqual(NEW_CHAT_SEND_STATEMENTS);
    expect((await settled(app, replyId)).content).toBe("Rome.");
  });

  test(`sendMessage, up to the provider being asked, is at most ${SEND_STATEMENTS} statements; the next message in the chat ${NEXT_SEND_STATEMENTS}`, async () => {
    const first = await countedSend("What's the capital of France?", "Paris.");
    expect(first.counted.statements, listing(first.counted)).toBeLessThanOrEqual(SEND_STATEMENTS);
    expect(first.text).toBe("Paris.");
    const next = await countedSend("And of Germany?", "Berlin.");
    expect(next.counted.statements, listing(next.counted)).toBeLessThanOrEqual(NEXT_SEND_STATEMENTS);
    expect(next.text).toBe("Berlin.");
    // The model was sent the branch: the first exchange, then the new question.
    const sent = (provider.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] }).messages.filter((m) => m.role !== "system");
    expect(sent.map((m) => [m.role, m.content])).toEqual([
      ["user", "What's the capital of France?"],
      ["assistant", "Paris."],
      ["user", "And of Germany?"],
    ]);
  });
});

describe("the glasses route", () => {
  test(`a Noa request (messages='[]') is at most ${NOA_STATEMENTS} statements and ${NOA_COMMITS} commits (target 6 and 1)`, async () => {
    const token = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
    await ada.data(`mutation($input: GlassesSettingsInput!) { updateGlassesSettings(input: $input) { model { id } } }`, { input: { modelId } });
    const audio = await fixture("noa-app-request-audio.wav");
    const image = await fixture("noa-app-request-image.jpg");
    const noa = () => {
      const body = noaAppForm(audio, image);
      return app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${token}` }, body }));
    };
    provider.script("echo", { text: "Paris." });
    expect((await noa()).status).toBe(200);
    await app.services.glassesUsage.settled();
    let answer: Record<string, unknown> = {};
    // The usage row is written after the answer went out (decision 0021): counted with it, once written.
    const counted = await counter.during(async () => {
      const response = await noa();
      answer = (await response.json()) as Record<string, unknown>;
      await app.services.glassesUsage.settled();
    });
    expect(answer.message).toBe("Paris.");
    expect(counted.statements, listing(counted)).toBeLessThanOrEqual(NOA_STATEMENTS);
    expect(counted.commits, listing(counted)).toBeLessThanOrEqual(NOA_COMMITS);
  });
});
