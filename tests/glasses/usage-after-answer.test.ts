/**
 * The glasses answer goes out before the exchange's usage row is written (decision 0021):
 * the reply's final write is awaited, the usage row is not, yet it is still written and
 * shutdown waits for it. Shown with the usage row locked by another transaction: the
 * answer comes and the reply is stored meanwhile; the row counts the request once the lock
 * is gone (PostgreSQL and MySQL only: SQLite has one writer, and a lock held by another
 * transaction would hold back the reply's own write as well). A reply someone else ended
 * meanwhile is not counted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { SpeechToText } from "../../server/src/speech/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { testProvider } from "../support/database.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { fixture, noaAppForm } from "../support/fixtures.ts";
import { createModel } from "../support/replies.ts";

const instantSpeech: SpeechToText = { transcribe: async () => ({ text: "What's the capital of France?", ms: 0 }), close: async () => {} };
let app: TestApp;
let provider: FakeProvider;
let ada: TestClient;
let token: string;
let userId: string;

beforeAll(async () => {
  provider = await startFakeProvider();
  app = await startTestApp({}, { speech: instantSpeech });
  ada = await app.signedUp("ada@example.com");
  const modelId = await createModel(ada, provider.url, { inputCostPerMTok: 1, outputCostPerMTok: 2 });
  userId = (await ada.data(`{ viewer { id } }`)).viewer.id;
  token = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
  await ada.data(`mutation($input: GlassesSettingsInput!) { updateGlassesSettings(input: $input) { model { id } } }`, { input: { modelId } });
  provider.script("echo", { text: "Paris." });
});

afterAll(async () => {
  await app.close();
  await provider.stop();
});

async function noa(): Promise<{ message: string; debug: { chat_id: string } }> {
  const body = noaAppForm(await fixture("noa-app-request-audio.wav"), await fixture("noa-app-request-image.jpg"));
  const response = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${token}` }, body }));
  expect(response.status).toBe(200);
  return (await response.json()) as { message: string; debug: { chat_id: string } };
}

const requestsCounted = async () => (await app.db.usageDaily.findMany({ where: { userId, source: "GLASSES" } })).reduce((sum, row) => sum + row.requests, 0);

test.skipIf(testProvider() === "sqlite")("the answer does not wait for the usage row, which is written once it can be", async () => {
  await noa();
  await app.services.glassesUsage.settled();
  expect(await requestsCounted()).toBe(1);

  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const lockHeld = new Promise<void>((resolve) => {
    locked = resolve;
  });
  // Another transaction holds today's usage row (a row lock) until released.
  const holder = app.db.$transaction(
    async (tx) => {
      await tx.usageDaily.updateMany({ where: { userId }, data: { requests: { increment: 0 } } });
      locked();
      await released;
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
  try {
    await lockHeld;
    const answered = await Promise.race([noa(), Bun.sleep(5_000).then(() => null)]);
    expect(answered?.message).toBe("Paris.");
    const reply = await app.db.message.findFirst({ where: { chatId: answered!.debug.chat_id, role: "ASSISTANT" } });
    expect(reply).toMatchObject({ content: "Paris.", status: "COMPLETE", streamingChatId: null });
  } finally {
    release();
    await holder;
  }
  await app.services.glassesUsage.settled();
  expect(await requestsCounted()).toBe(2);
}, 30_000);

test("an exchange whose reply someone else ended meanwhile (the shutdown, the sweep) is not counted", async () => {
  await app.services.glassesUsage.settled();
  const before = await requestsCounted();
  provider.scriptNext({ text: "Rome.", firstTokenDelayMs: 400 });
  const asked = noa();
  let pending: { id: string } | null = null;
  for (let i = 0; i < 200 && !pending; i++) {
    pending = await app.db.message.findFirst({ where: { status: "STREAMING", chat: { userId } } });
    if (!pending) await Bun.sleep(5);
  }
  expect(pending).not.toBeNull();
  await app.db.message.update({ where: { id: pending!.id }, data: { status: "FAILED", error: "Ended elsewhere.", streamingChatId: null } });
  expect((await asked).message).toBe("Rome.");
  await app.services.glassesUsage.settled();
  expect(await requestsCounted()).toBe(before);
  expect(await app.db.message.findUnique({ where: { id: pending!.id } })).toMatchObject({ status: "FAILED", error: "Ended elsewhere." });
}, 30_000);
