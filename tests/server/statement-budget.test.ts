/**
 * The statement budgets of issue 13 (docs/decisions/0014-performance.md): what one operation
 * sends to the database, counted at the driver (tests/support/statements.ts) on the real
 * app and database. Over budget, the test lists the statements sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SESSION_COOKIE } from "../../server/src/accounts/index.ts";
import { hashToken, newToken } from "../../server/src/crypto/tokens.ts";
import type { SpeechToText } from "../../server/src/speech/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { createModel } from "../support/replies.ts";
import { listing, StatementCounter } from "../support/statements.ts";

const counter = new StatementCounter();
/** Speech at its interface: the route's own decoding and checks run, the transcript is fixed. */
const instantSpeech: SpeechToText = { transcribe: async () => ({ text: "What's the capital of France?", ms: 0 }), close: async () => {} };
let app: TestApp;
let provider: FakeProvider;
let ada: TestClient;
let modelId: string;

beforeAll(async () => {
  provider = await startFakeProvider();
  app = await startTestApp({}, { statements: counter, speech: instantSpeech });
  ada = await app.signedUp("ada@example.com");
  modelId = await createModel(ada, provider.url);
  for (let i = 0; i < 25; i++) {
    await ada.data(`mutation($input: CreateChatInput) { createChat(input: $input) { id } }`, { input: { modelId, title: `Chat ${i}` } });
  }
}, 60_000);

afterAll(async () => {
  await app.close();
  await provider.stop();
});

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

  test("viewer + chats(first: 20) for a session this instance knows is 1 statement", async () => {
    const counted = await counter.during(() => ada.data(VIEWER_AND_CHATS));
    expect(counted.statements, listing(counted)).toBe(1);
  });

  test("the same query again, the session known, still answers with the signed-in user's chats", async () => {
    const { viewer, chats } = await ada.data(VIEWER_AND_CHATS);
    expect(viewer.id).toBeString();
    expect(chats.edges).toHaveLength(20);
  });
});
