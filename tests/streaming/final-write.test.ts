/**
 * The database refuses a reply's final write (a real refusal: a trigger aborts the
 * UPDATE that ends the reply, as a full disk or a stopped server would). The write is
 * retried; a refusal that passes within the retries leaves a COMPLETE reply; one that
 * does not is told to the followers as FAILED "could not be saved", never COMPLETE, and
 * once the database takes writes again the periodic sweep (one instance, no restart) ends
 * the row, so the chat takes the next message.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { NOT_SAVED, REPLY_IN_PROGRESS } from "../../server/src/generation/reply-errors.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { refuseReplyEnds } from "../support/refusals.ts";
import { modelAndChat, SEND, send, settled } from "../support/replies.ts";
import { REPLY_STREAM } from "../support/streams.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
beforeAll(async () => {
  fake = await startFakeProvider();
  // A short lease: the sweep runs every 300 ms.
  app = await startTestApp({ REPLY_LEASE_MS: "600" });
  ada = await app.signedUp("ada@example.com");
  // What main.ts does at start: recovery, then the periodic sweep.
  await app.services.replies.recover();
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

const TEXT = "Every word of this reply reaches the screen before the database says no.";

async function follow(client: TestClient, replyId: string) {
  const events = (await client.stream(REPLY_STREAM, { id: replyId })).map((e) => e.data!.replyStream);
  return { text: events.map((e) => e.delta).join(""), last: events.at(-1) };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await Bun.sleep(50);
  }
}

test("refused for good: followers are told FAILED 'could not be saved'; once the database is back the sweep ends the row and the chat takes the next message", async () => {
  const { chatId } = await modelAndChat(ada, fake.url);
  let allow: (() => Promise<void>) | null = await refuseReplyEnds(app.database);
  try {
    fake.scriptNext({ text: TEXT });
    const sent = await send(ada, chatId, "say something");
    const seen = await follow(ada, sent.reply.id);
    expect(seen.text).toBe(TEXT);
    expect(seen.last).toMatchObject({ done: true, status: "FAILED", error: NOT_SAVED });
    expect(NOT_SAVED).toContain("could not be saved");

    // The database still refuses: the row cannot be ended, and holds the chat.
    const row = await app.db.message.findUniqueOrThrow({ where: { id: sent.reply.id } });
    expect(row.status).toBe("STREAMING");
    // A reload meanwhile is told the same, not a bare FAILED.
    expect((await follow(ada, sent.reply.id)).last).toMatchObject({ done: true, status: "FAILED", error: NOT_SAVED });
    const refused = await ada.request(SEND, { chatId, content: "and now?" });
    expect(refused.errors?.[0]).toMatchObject({ message: REPLY_IN_PROGRESS, extensions: { code: "CONFLICT" } });

    await allow();
    allow = null;
    const ended = await until(
      () => app.db.message.findUniqueOrThrow({ where: { id: sent.reply.id } }),
      (m) => m.status !== "STREAMING",
    );
    expect(ended).toMatchObject({ status: "FAILED", error: NOT_SAVED, streamingChatId: null });
    // What the reader of the chat sees after a reload says so too.
    const { chat } = await ada.data(`query($id: ID!) { chat(id: $id) { messages(last: 5) { edges { node { id role status error } } } } }`, { id: chatId });
    expect(chat.messages.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { id: sent.message.id, role: "USER", status: "COMPLETE", error: null },
      { id: sent.reply.id, role: "ASSISTANT", status: "FAILED", error: NOT_SAVED },
    ]);

    const next = await send(ada, chatId, "and now?");
    expect(await settled(app, next.reply.id)).toMatchObject({ status: "COMPLETE", content: "You said: and now?" });
  } finally {
    await allow?.();
  }
}, 20_000);

test("a refusal that passes within the retries: the reply is stored whole, COMPLETE", async () => {
  const { chatId } = await modelAndChat(ada, fake.url);
  // Refuses for half a second: the reply ends at once, the first attempts are refused, a later one passes.
  const allow = await refuseReplyEnds(app.database, Date.now() + 500);
  try {
    fake.scriptNext({ text: TEXT });
    const sent = await send(ada, chatId, "say something");
    const seen = await follow(ada, sent.reply.id);
    expect(seen.last).toMatchObject({ done: true, status: "COMPLETE", error: null });
    expect(await app.db.message.findUniqueOrThrow({ where: { id: sent.reply.id } })).toMatchObject({ status: "COMPLETE", content: TEXT });
  } finally {
    await allow();
  }
}, 20_000);
