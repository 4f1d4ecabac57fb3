/**
 * replyStream events built without a GraphQL execution per token (graphql/reply-stream.ts,
 * decision 0019), over real SSE and graphql-ws against a listening server. Each selection
 * is followed twice on the same reply: as written (built directly) and with
 * `@include(if: true)` on the root field, which the direct path leaves to the executor. The two must send the same bytes
 * for every event they both have (a follower that reads late gets pieces merged, so events
 * are paired by offset), the same text and the same last event; and the direct one must
 * have cost one execution (its first event, checked against the direct build), not one per token.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "graphql-ws";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import { replyEventCounts } from "../../server/src/graphql/reply-stream.ts";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { modelAndChat, send, settled } from "../support/replies.ts";
import { sseEvents, wsClient } from "../support/streams.ts";

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
  ({ chatId } = await modelAndChat(ada, fake.url, { inputCostPerMTok: 1.5, outputCostPerMTok: 3 }));
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await app.close();
  await fake.stop();
});

type Transport = "sse" | "ws";
interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** Every `next` payload of a subscription as the JSON text the server sent. */
async function rawEvents(transport: Transport, operation: Operation): Promise<string[]> {
  if (transport === "sse") {
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", [CSRF_HEADER]: "1", cookie: ada.cookie! },
      body: JSON.stringify(operation),
    });
    if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return [await response.text()];
    const events: string[] = [];
    for await (const { event, data } of sseEvents(response.body!)) {
      if (event === "complete") break;
      if (event === "next") events.push(data);
    }
    return events;
  }
  const socket = wsClient(base, ada.cookie);
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    socket.subscribe(operation as { query: string }, {
      // The client parsed the message; parsing keeps order and values, so this is the text sent.
      next: (result) => void events.push(JSON.stringify(result)),
      error: (error) => (Array.isArray(error) ? resolve([...events, JSON.stringify({ errors: error })]) : reject(error)),
      complete: () => resolve(events),
    });
  });
}

/** The same operation with `@include(if: true)` on its root field: the same result, by the executor's path. */
const executed = (operation: Operation): Operation => ({
  ...operation,
  query: operation.query.replaceAll("replyStream(messageId: $id)", "replyStream(messageId: $id) @include(if: true)"),
});

const REPLY = "Tokens one by one: alpha beta gamma delta epsilon zeta eta theta iota kappa";

const SELECTIONS: Record<string, Operation> = {
  "every field": {
    query: `subscription($id: ID!) { replyStream(messageId: $id) { messageId offset delta status done error firstTokenMs latencyMs usage { promptTokens completionTokens estimated cost } } }`,
  },
  "aliases, in another order": {
    query: `subscription($id: ID!) { replyStream(messageId: $id) { finished: done text: delta at: offset u: usage { price: cost out: completionTokens } s: status } }`,
  },
  "__typename at every level": {
    query: `subscription($id: ID!) { replyStream(messageId: $id) { __typename delta kind: __typename usage { __typename estimated } done } }`,
  },
  "an aliased root field": {
    query: `subscription($id: ID!) { piece: replyStream(messageId: $id) { delta offset done error } }`,
  },
  "a named operation among two": {
    query: `subscription Text($id: ID!) { replyStream(messageId: $id) { delta } } subscription Ends($id: ID!) { replyStream(messageId: $id) { offset delta done status usage { cost } } }`,
    operationName: "Ends",
  },
};

/** Pairs events by where their text starts and what it is; both sides must agree byte for byte on each pair. */
function expectSameEvents(direct: string[], full: string[]) {
  const keyed = (events: string[]) => {
    let offset = 0;
    return new Map(
      events.map((raw) => {
        const value = Object.values((JSON.parse(raw) as { data: Record<string, Record<string, unknown>> }).data)[0]!;
        const delta = String(value.delta ?? value.text);
        const key = `${offset}:${delta}:${value.done ?? value.finished}`;
        offset += delta.length;
        return [key, raw] as const;
      }),
    );
  };
  const fullByPiece = keyed(full);
  let paired = 0;
  for (const [key, raw] of keyed(direct)) {
    const twin = fullByPiece.get(key);
    if (twin === undefined) continue;
    expect(raw).toBe(twin);
    paired++;
  }
  expect(paired).toBeGreaterThanOrEqual(3);
  expect(direct.at(-1)).toBe(full.at(-1)!);
}

describe.each(["sse", "ws"] as const)("over %s", (transport) => {
  test("selections with other fields, aliases, __typename and operation names: the bytes of a full execution", async () => {
    fake.scriptNext({ text: REPLY, delayMsPerToken: 40, firstTokenDelayMs: 600 });
    const sent = await send(ada, chatId, `Count for me over ${transport}`);
    const id = sent.reply.id;
    const before = { ...replyEventCounts };
    const names = Object.keys(SELECTIONS);
    const runs = names.flatMap((name) => {
      const operation = { ...SELECTIONS[name]!, variables: { id } };
      return [rawEvents(transport, operation), rawEvents(transport, executed(operation))];
    });
    const results = await Promise.all(runs);
    expect((await settled(app, id)).content).toBe(REPLY);
    for (const [i, name] of names.entries()) {
      const [direct, full] = [results[2 * i]!, results[2 * i + 1]!];
      expect(direct.length, name).toBeGreaterThan(3);
      expectSameEvents(direct, full);
      const last = JSON.parse(direct.at(-1)!).data;
      expect(JSON.stringify(last), name).not.toContain("errors");
    }
    // One execution per direct subscription (its first event, checked against the direct build).
    expect(replyEventCounts.executed - before.executed).toBe(names.length);
    expect(replyEventCounts.direct - before.direct).toBeGreaterThanOrEqual(names.length * 3);
  });

  test("the last event of a failed reply, and an unknown reply's error, are the executor's", async () => {
    fake.scriptNext({ text: REPLY, delayMsPerToken: 30, firstTokenDelayMs: 400, cutAfterTokens: 5 });
    const sent = await send(ada, chatId, `Fail over ${transport}`);
    const operation = { ...SELECTIONS["every field"]!, variables: { id: sent.reply.id } };
    const [direct, full] = await Promise.all([rawEvents(transport, operation), rawEvents(transport, executed(operation))]);
    expect(JSON.parse(direct.at(-1)!).data.replyStream).toMatchObject({ done: true, status: "FAILED" });
    expect(direct.at(-1)).toBe(full.at(-1)!);
    expect(direct.map((raw) => JSON.parse(raw).data.replyStream.delta).join("")).toBe(full.map((raw) => JSON.parse(raw).data.replyStream.delta).join(""));

    const unknown = { ...SELECTIONS["every field"]!, variables: { id: "no-such-reply" } };
    const [directError, fullError] = await Promise.all([rawEvents(transport, unknown), rawEvents(transport, executed(unknown))]);
    expect(directError.join("")).toContain("NOT_FOUND");
    expect(directError).toEqual(fullError);
  });

  test("directives and fragments take the executor's path for every event, with their variables", async () => {
    fake.scriptNext({ text: REPLY, delayMsPerToken: 20, firstTokenDelayMs: 300 });
    const sent = await send(ada, chatId, `Directives over ${transport}`);
    const query = `subscription($id: ID!, $withUsage: Boolean!) { replyStream(messageId: $id) { delta done usage @include(if: $withUsage) { cost } ...Ends } } fragment Ends on ReplyEvent { status }`;
    const before = { ...replyEventCounts };
    const [withUsage, without] = await Promise.all([
      rawEvents(transport, { query, variables: { id: sent.reply.id, withUsage: true } }),
      rawEvents(transport, { query, variables: { id: sent.reply.id, withUsage: false } }),
    ]);
    expect(replyEventCounts).toEqual(before);
    const lastWith = JSON.parse(withUsage.at(-1)!).data.replyStream;
    const lastWithout = JSON.parse(without.at(-1)!).data.replyStream;
    expect(Object.keys(lastWith)).toEqual(["delta", "done", "usage", "status"]);
    expect(Object.keys(lastWithout)).toEqual(["delta", "done", "status"]);
    expect(lastWith).toMatchObject({ done: true, status: "COMPLETE", usage: { cost: expect.any(Number) } });
  });
});
