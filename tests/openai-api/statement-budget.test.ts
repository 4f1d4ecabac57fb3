/**
 * What one /v1/chat/completions request sends to the database, counted at the driver
 * (tests/support/statements.ts) on the real app and database: a new conversation answered
 * in full (token, model, budget, the chat, the question and reply, the usage row, the final
 * write, the thread key), and the next turn of it. Over budget, the test lists the statements.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestApp, type TestApp } from "../support/app.ts";
import { testProvider } from "../support/database.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { createModel } from "../support/replies.ts";
import { listing, StatementCounter } from "../support/statements.ts";

const counter = new StatementCounter();
let app: TestApp;
let provider: FakeProvider;
let sdk: OpenAI;

beforeAll(async () => {
  provider = await startFakeProvider();
  app = await startTestApp({}, { statements: counter });
  const ada = await app.signedUp("ada@example.com");
  await createModel(ada, provider.url, { name: "Echo" });
  const { createAccessToken } = await ada.data(`mutation { createAccessToken(input: { name: "sdk", scopes: [OPENAI] }) { secret } }`);
  sdk = new OpenAI({ apiKey: createAccessToken.secret, baseURL: `${await app.listen()}/v1`, maxRetries: 0 });
  // The token's first use writes its last use (then once a minute): not part of what is counted.
  provider.script("echo", { text: "Warm." });
  await sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Warm up" }] });
}, 60_000);

afterAll(async () => {
  await app.close();
  await provider.stop();
});

/**
 * The counts reached. The model is not read: the warm-up request's own model is remembered
 * (decision 0022's addendum). A new conversation: the chat created with the question and
 * the reply (and Prisma's read of the chat after a nested create); then, once answered, the
 * reply's final write, the usage row and the thread key. The next turn: the chat by
 * its thread key, its tree and branch (compared with the request's history), then the send
 * (the claim's update, the tree again under it, the question and reply, the new leaf; the
 * branch's text is not read again), and the same three writes at the end. MySQL has no
 * RETURNING: the final write and the usage upsert read before and after writing (4 more),
 * and on the next turn the claim reads the chat's locked row (5 more).
 */
const mysql = testProvider() === "mysql";
const NEW_CONVERSATION = mysql ? 10 : 6;
const NEXT_TURN = mysql ? 15 : 10;

test(`a new conversation, answered in full, is at most ${NEW_CONVERSATION} statements; its next turn at most ${NEXT_TURN}`, async () => {
  provider.script("echo", { text: "Paris." });
  const first = await counter.during(() => sdk.chat.completions.create({ model: "Echo", messages: [{ role: "user", content: "Capital of France?" }] }));
  expect(first.statements, listing(first)).toBeLessThanOrEqual(NEW_CONVERSATION);
  provider.script("echo", { text: "Berlin." });
  const next = await counter.during(() =>
    sdk.chat.completions.create({
      model: "Echo",
      messages: [
        { role: "user", content: "Capital of France?" },
        { role: "assistant", content: "Paris." },
        { role: "user", content: "And Germany?" },
      ],
    }),
  );
  expect(next.statements, listing(next)).toBeLessThanOrEqual(NEXT_TURN);
});
