/**
 * The replyStream subscription over both transports against a real listening server:
 * GraphQL over SSE through /graphql and graphql-ws over WebSocket, with the real
 * clients. Late joiners get the text so far, then the rest, with no gap and no
 * duplicate; events arrive one by one while the provider is still sending; only the
 * owner can follow a reply; cross-site WebSocket upgrades are refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "graphql-ws";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled, textReached } from "../support/replies.ts";
import { REPLY_STREAM, type ReplyEventData, replyEvents, type Stamped, sseSubscribe, type Subscription, wsClient, wsSubscribe } from "../support/streams.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let base: string;
let chatId: string;
const sockets: Client[] = [];
beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  base = await app.listen();
  ada = await app.signedUp("ada@example.com");
  ({ chatId } = await modelAndChat(ada, fake.url, { inputCostPerMTok: 1, outputCostPerMTok: 1 }));
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await app.close();
  await fake.stop();
});

type Transport = "sse" | "ws";
function follow(transport: Transport, replyId: string, client: TestClient = ada): Subscription<{ replyStream: ReplyEventData }> {
  if (transport === "sse") return sseSubscribe(base, client.cookie, REPLY_STREAM, { id: replyId });
  const socket = wsClient(base, client.cookie);
  sockets.push(socket);
  return wsSubscribe(socket, REPLY_STREAM, { id: replyId });
}

const TEXT = "The quick brown fox jumps over the lazy dog while the cat watches";

describe.each(["sse", "ws"] as const)("over %s", (transport) => {
  test("a subscriber from the start gets every piece, then the end with status and usage", async () => {
    fake.scriptNext({ text: TEXT, delayMsPerToken: 10, firstTokenDelayMs: 50 });
    const sent = await send(ada, chatId, "Tell me about the fox");
    const events = replyEvents(await follow(transport, sent.reply.id).done);
    expect(events.text).toBe(TEXT);
    expect(events.list.length).toBeGreaterThan(5);
    expect(events.list.slice(0, -1).every((e) => e.status === "STREAMING" && !e.done)).toBe(true);
    expect(events.last).toMatchObject({ done: true, status: "COMPLETE", error: null, messageId: sent.reply.id });
    expect(events.last!.usage).toMatchObject({ completionTokens: 13, estimated: false });
    expect(events.last!.latencyMs).toBeGreaterThan(events.last!.firstTokenMs!);
    expect((await settled(app, sent.reply.id)).content).toBe(TEXT);
  });

  test("a late subscriber first gets the text so far, then the rest: no gap, no duplicate", async () => {
    fake.scriptNext({ text: TEXT, delayMsPerToken: 30 });
    const sent = await send(ada, chatId, "Again, slowly");
    const early = follow(transport, sent.reply.id);
    const soFar = await textReached(app, sent.reply.id, 20);
    const late = follow(transport, sent.reply.id);
    const [earlyEvents, lateEvents] = [replyEvents(await early.done), replyEvents(await late.done)];
    expect(earlyEvents.text).toBe(TEXT);
    expect(lateEvents.text).toBe(TEXT);
    // The late joiner's first event carries at least what there was when it joined.
    expect(lateEvents.list[0]!.offset).toBe(0);
    expect(lateEvents.list[0]!.delta.startsWith(soFar)).toBe(true);
    expect(lateEvents.list.length).toBeGreaterThan(2);
  });

  test("a subscriber after the end gets the whole text and the end in one event", async () => {
    fake.scriptNext({ text: "short and done" });
    const sent = await send(ada, chatId, "quick one");
    await settled(app, sent.reply.id);
    const events = replyEvents(await follow(transport, sent.reply.id).done);
    expect(events.list).toHaveLength(1);
    expect(events.last).toMatchObject({ offset: 0, delta: "short and done", done: true, status: "COMPLETE" });
  });

  test("events arrive one by one while the provider is still sending, not all at the end", async () => {
    const tokens = 12;
    const pace = 80;
    fake.scriptNext({ text: Array.from({ length: tokens }, (_, i) => `w${i}`).join(" "), delayMsPerToken: pace });
    const sent = await send(ada, chatId, "pace yourself");
    const subscription = follow(transport, sent.reply.id);
    const events = replyEvents(await subscription.done);
    const pieces = events.list.filter((e) => !e.done);
    // At most the first event may hold more than one token (it carries what came before joining).
    expect(pieces.length).toBeGreaterThanOrEqual(tokens - 1);
    const stamps = pieces.map((e) => e.at);
    const spread = stamps.at(-1)! - stamps[0]!;
    expect(spread).toBeGreaterThan((tokens - 3) * pace);
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
    // Each piece arrived on its own, about one provider pace after the previous one.
    expect(gaps.filter((g) => g > pace / 2).length).toBeGreaterThanOrEqual(tokens - 3);
  });

  test("another user's reply is NOT_FOUND, anonymous is UNAUTHENTICATED, and neither sees any text", async () => {
    fake.scriptNext({ text: "private words here", delayMsPerToken: 20 });
    const sent = await send(ada, chatId, "secret");
    const bob = await app.signedUp(`bob-${transport}@example.com`);
    const foreign = (await follow(transport, sent.reply.id, bob).done) as Stamped<any>[];
    expect(foreign).toHaveLength(1);
    expect(foreign[0]!.result.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(JSON.stringify(foreign)).not.toContain("private");
    const anonymous = (await follow(transport, sent.reply.id, app.client()).done) as Stamped<any>[];
    expect(anonymous[0]!.result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const missing = (await follow(transport, "no-such-message").done) as Stamped<any>[];
    expect(missing[0]!.result.errors?.[0]).toEqual(foreign[0]!.result.errors?.[0]);
    await settled(app, sent.reply.id);
  });

  test("a subscriber that leaves mid-stream does not disturb the reply or the others", async () => {
    fake.scriptNext({ text: TEXT, delayMsPerToken: 20 });
    const sent = await send(ada, chatId, "leave early");
    const leaver = follow(transport, sent.reply.id);
    const stayer = follow(transport, sent.reply.id);
    await textReached(app, sent.reply.id, 10);
    leaver.stop();
    expect(replyEvents(await stayer.done).text).toBe(TEXT);
    expect((await settled(app, sent.reply.id)).status).toBe("COMPLETE");
  });
});

describe("WebSocket specifics", () => {
  test("a cross-site Origin is refused at the upgrade (403); the server's own origin is fine", async () => {
    const upgrade = (origin: string) =>
      fetch(`${base}/graphql`, {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          "sec-websocket-protocol": "graphql-transport-ws",
          cookie: ada.cookie!,
          origin,
        },
      });
    const evil = await upgrade("https://evil.example");
    expect(evil.status).toBe(403);
    const own = await upgrade(base);
    expect(own.status).toBe(101);
    expect(own.headers.get("sec-websocket-protocol")).toBe("graphql-transport-ws");
    await own.body?.cancel();

    fake.scriptNext({ text: "same origin works" });
    const sent = await send(ada, chatId, "origin check");
    const socket = wsClient(base, ada.cookie, { origin: base });
    sockets.push(socket);
    expect(replyEvents(await wsSubscribe(socket, REPLY_STREAM, { id: sent.reply.id }).done).text).toBe("same origin works");
  });

  test("queries and mutations are refused over WebSocket (they belong on HTTP)", async () => {
    const socket = wsClient(base, ada.cookie);
    sockets.push(socket);
    const mutation = (await wsSubscribe(socket, `mutation { signOut }`).done) as Stamped<any>[];
    // yoga's own rule answers first here: "Can only perform a mutation operation from a POST request."
    expect(mutation[0]!.result.errors?.[0]?.message).toContain("mutation");
    const query = (await wsSubscribe(socket, `{ viewer { email } }`).done) as Stamped<any>[];
    expect(query[0]!.result.errors?.[0]?.message).toContain("only subscriptions");
    // Still signed in: the mutation did not run.
    expect((await ada.data(`{ viewer { email } }`)).viewer.email).toBe("ada@example.com");
  });
});
