/**
 * Cancelling a reply (the provider request is aborted, the text so far is kept, the
 * reply becomes CANCELLED), shutting down mid-reply, and checkpointing: no database
 * write per token, the partial text at most once per STREAM_CHECKPOINT_MS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Db } from "../../server/src/db/client.ts";
import { inProcessBus } from "../../server/src/generation/bus.ts";
import { checkpointWriter } from "../../server/src/generation/checkpoint.ts";
import { generateReply } from "../../server/src/generation/generator.ts";
import { ReplyHub } from "../../server/src/generation/hub.ts";
import { INTERRUPTED } from "../../server/src/generation/reply-errors.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled, textReached } from "../support/replies.ts";
import { REPLY_STREAM, replyEvents, sseSubscribe, wsClient, wsSubscribe } from "../support/streams.ts";

const CANCEL = `mutation($id: ID!) { cancelReply(messageId: $id) { id status content usageEstimated completionTokens } }`;
const LONG = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let base: string;
beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  base = await app.listen();
  ada = await app.signedUp("ada@example.com");
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

describe("cancel", () => {
  test("stops the provider request; the reply keeps its text as CANCELLED; followers on both transports are told", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    fake.scriptNext({ text: LONG, delayMsPerToken: 30 });
    const requestsBefore = fake.requests.length;
    const sent = await send(ada, chatId, "talk for a while");
    const sse = sseSubscribe(base, ada.cookie, REPLY_STREAM, { id: sent.reply.id });
    const socket = wsClient(base, ada.cookie);
    const ws = wsSubscribe(socket, REPLY_STREAM, { id: sent.reply.id });
    await textReached(app, sent.reply.id, 30);

    const { cancelReply } = await ada.data(CANCEL, { id: sent.reply.id });
    expect(cancelReply.status).toBe("CANCELLED");
    expect(cancelReply.content.length).toBeGreaterThanOrEqual(30);
    expect(LONG.startsWith(cancelReply.content)).toBe(true);
    expect(cancelReply.content).not.toBe(LONG);
    expect(cancelReply.usageEstimated).toBe(true);

    const request = fake.requests.slice(requestsBefore).find((r) => r.path === "/v1/chat/completions")!;
    await Bun.sleep(20);
    expect(request.aborted).toBe(true);
    const stored = await app.db.message.findUniqueOrThrow({ where: { id: sent.reply.id } });
    expect(stored).toMatchObject({ status: "CANCELLED", content: cancelReply.content, error: null });
    for (const subscription of [sse, ws]) {
      const events = replyEvents(await subscription.done);
      expect(events.text).toBe(cancelReply.content);
      expect(events.last).toMatchObject({ done: true, status: "CANCELLED" });
    }
    await socket.dispose();
  });

  test("a reply that already ended is returned unchanged", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    const sent = await send(ada, chatId, "quick");
    await settled(app, sent.reply.id);
    const { cancelReply } = await ada.data(CANCEL, { id: sent.reply.id });
    expect(cancelReply).toMatchObject({ status: "COMPLETE", content: "You said: quick" });
  });

  test("another user cannot cancel (NOT_FOUND), nobody anonymous either; the reply goes on", async () => {
    const { chatId } = await modelAndChat(ada, fake.url);
    fake.scriptNext({ text: "one two three four five", delayMsPerToken: 20 });
    const sent = await send(ada, chatId, "mine");
    const bob = await app.signedUp("bob-cancel@example.com");
    const foreign = await bob.request(CANCEL, { id: sent.reply.id });
    expect(foreign.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const anonymous = await app.client().request(CANCEL, { id: sent.reply.id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await settled(app, sent.reply.id)).toMatchObject({ status: "COMPLETE", content: "one two three four five" });
  });

  test("cancelling right after sending, before any token, leaves an empty CANCELLED reply", async () => {
    // A model of its own, not scriptNext: the cancel may abort the request before it reaches
    // the provider, and a queued behaviour left unused would answer the next test's request.
    fake.script("slow-start", { text: "never seen", firstTokenDelayMs: 500 });
    const { chatId } = await modelAndChat(ada, fake.url, { providerModelId: "slow-start" });
    const sent = await send(ada, chatId, "never mind");
    const { cancelReply } = await ada.data(CANCEL, { id: sent.reply.id });
    expect(cancelReply).toMatchObject({ status: "CANCELLED", content: "" });
  });
});

describe("shutdown", () => {
  test("replies in progress end FAILED saying the server stopped, with their text written, and followers are told", async () => {
    const other = await startTestApp();
    const otherBase = await other.listen();
    const carol = await other.signedUp("carol@example.com");
    const { chatId } = await modelAndChat(carol, fake.url);
    fake.scriptNext({ text: LONG, delayMsPerToken: 30 });
    const sent = await send(carol, chatId, "long story");
    const follower = sseSubscribe(otherBase, carol.cookie, REPLY_STREAM, { id: sent.reply.id });
    const soFar = await textReached(other, sent.reply.id, 20);
    await other.services.replies.close();
    const stored = await other.db.message.findUniqueOrThrow({ where: { id: sent.reply.id } });
    expect(stored).toMatchObject({ status: "FAILED", error: INTERRUPTED });
    expect(INTERRUPTED).toMatch(/^The server stopped while this reply was being written.*Regenerate it or send your message again\.$/);
    expect(stored.content.startsWith(soFar)).toBe(true);
    const events = replyEvents(await follower.done);
    expect(events.text).toBe(stored.content);
    expect(events.last).toMatchObject({ status: "FAILED", error: INTERRUPTED });
    await other.close();
  });
});

describe("checkpoints", () => {
  test("no write per token: the partial text at most once per STREAM_CHECKPOINT_MS, the final state once", async () => {
    const { modelId, chatId } = await modelAndChat(ada, fake.url);
    const model = await app.db.aiModel.findUniqueOrThrow({ where: { id: modelId } });
    const reply = await app.db.message.create({ data: { chatId, role: "ASSISTANT", content: "", status: "STREAMING" } });
    await app.db.message.create({ data: { chatId, role: "USER", content: "count the writes", createdAt: new Date(reply.createdAt.getTime() - 1) } });

    // Every write, model operations and raw SQL alike.
    const writes: { at: number; operation: string; content?: string; status?: string }[] = [];
    const counted = app.db.$extends({
      query: {
        async $allOperations({ operation, args, query }) {
          if (/^(create|update|delete|upsert)/.test(operation)) {
            const data = (args as { data?: { content?: string; status?: string } }).data;
            writes.push({ at: performance.now(), operation, content: data?.content, status: data?.status });
          } else if (operation === "$executeRawUnsafe" || operation === "$executeRaw") {
            const [sql, content] = args as unknown as [string, string];
            expect(sql).toStartWith("UPDATE");
            writes.push({ at: performance.now(), operation: "checkpoint", content });
          }
          return query(args);
        },
      },
    }) as unknown as Db;

    const tokens = 40;
    const pace = 25;
    const checkpointMs = 250;
    fake.scriptNext({ text: Array.from({ length: tokens }, (_, i) => `t${i}`).join(" "), delayMsPerToken: pace });
    const hub = new ReplyHub(inProcessBus());
    const live = hub.begin(reply.id, model.userId);
    const started = performance.now();
    const run = generateReply({ messageId: reply.id, chatId, model, startedAt: started }, live, {
      db: counted,
      replyDb: counted,
      writeCheckpoint: checkpointWriter(counted, app.database.provider),
      secrets: app.services.secrets,
      settings: { ...app.config.replies, checkpointMs },
      network: app.config.providerNetwork,
    });
    // Halfway through, a checkpoint holds part of the text.
    await Bun.sleep((tokens * pace) / 2 + 50);
    const midway = await app.db.message.findUniqueOrThrow({ where: { id: reply.id } });
    expect(midway.status).toBe("STREAMING");
    expect(midway.content.length).toBeGreaterThan(0);
    // Written as plain SQL, read back through Prisma: the same instant on every database.
    expect(Math.abs(midway.checkpointAt!.getTime() - Date.now())).toBeLessThan(tokens * pace);
    const end = await run;
    const duration = performance.now() - started;

    expect(end.status).toBe("COMPLETE");
    const checkpoints = writes.filter((w) => w.operation === "checkpoint");
    const finals = writes.filter((w) => w.operation !== "checkpoint");
    expect(finals).toHaveLength(1);
    expect(finals[0]).toMatchObject({ operation: "update", status: "COMPLETE" });
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints.length).toBeLessThanOrEqual(Math.ceil(duration / checkpointMs));
    const gaps = checkpoints.slice(1).map((w, i) => w.at - checkpoints[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(checkpointMs - 5);
    // Each checkpoint is a prefix of the final text.
    const final = await app.db.message.findUniqueOrThrow({ where: { id: reply.id } });
    for (const w of checkpoints) expect(final.content.startsWith(w.content!)).toBe(true);
    expect(writes.length).toBeLessThan(tokens / 4);
  });
});
