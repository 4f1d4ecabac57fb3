/**
 * A new user's first glasses requests (or glassesSettings queries) arriving together all
 * race to create the user's settings row: one create wins, the others read its row. All
 * succeed, and there is one row.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { createModel } from "../support/replies.ts";

const TOGETHER = 50;
let app: TestApp;
let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

test(`${TOGETHER} simultaneous first glassesSettings queries of a new user all succeed, with one settings row`, async () => {
  const eve = await app.signedUp("eve@example.com");
  const results = await Promise.all(Array.from({ length: TOGETHER }, () => eve.request(`{ glassesSettings { language spokenAnswers topicStrategy } }`)));
  expect(results.filter((r) => r.errors)).toEqual([]);
  expect(new Set(results.map((r) => JSON.stringify(r.data)))).toEqual(new Set([JSON.stringify({ glassesSettings: { language: "", spokenAnswers: false, topicStrategy: "NEVER" } })]));
  expect(await app.db.glassesSettings.count({ where: { user: { email: "eve@example.com" } } })).toBe(1);
});

test(`${TOGETHER} simultaneous first glasses requests of a new user all get their answer, with one settings row`, async () => {
  const max = await app.signedUp("max@example.com");
  await createModel(max, fake.url);
  const { createGlassesToken } = await max.data(`mutation { createGlassesToken(name: "Frame") { secret } }`);
  const ask = (i: number) => {
    const form = new FormData();
    form.append("prompt", `question ${i}`);
    form.append("messages", "[]");
    form.append("location", "");
    form.append("time", "2025-07-02 11:29:48.054846");
    return app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${createGlassesToken.secret}` }, body: form }));
  };
  const responses = await Promise.all(Array.from({ length: TOGETHER }, (_, i) => ask(i)));
  const answers = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { message?: string; detail?: string } })));
  expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  expect(answers.map((a) => a.body.message).sort()).toEqual(Array.from({ length: TOGETHER }, (_, i) => `You said: question ${i}`).sort());
  expect(await app.db.glassesSettings.count({ where: { user: { email: "max@example.com" } } })).toBe(1);
  // Every exchange is stored whole: the question and its COMPLETE answer, nothing left pending.
  const messages = await app.db.message.findMany({ where: { chat: { user: { email: "max@example.com" } } } });
  expect(messages.filter((m) => m.role === "USER")).toHaveLength(TOGETHER);
  expect(messages.filter((m) => m.role === "ASSISTANT" && m.status === "COMPLETE" && m.streamingChatId === null)).toHaveLength(TOGETHER);
}, 30_000);
