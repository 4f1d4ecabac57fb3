/**
 * The late-join protocol between instances (generation/hub.ts), with two hubs on one
 * in-memory bus that behaves like Redis (per-publisher ordering), and faults injected
 * into it: a generating instance that never answers, and a lost event. Redis itself is
 * exercised by tests/multi-instance.
 */
import { expect, test } from "bun:test";
import { inProcessBus, type ReplyBus } from "../../server/src/generation/bus.ts";
import { type ReplyEvent, ReplyHub, SNAPSHOT_TIMEOUT_MS, type StoredReply } from "../../server/src/generation/hub.ts";

/** A shared bus between instances; `drop` decides which published events are lost. */
function sharedBus(drop: (topic: string, event: any) => boolean = () => false): ReplyBus {
  const inner = inProcessBus();
  return {
    distributed: true,
    publish: (topic, event) => {
      if (!drop(topic, event)) inner.publish(topic, event);
    },
    subscribe: (topic, listener) => inner.subscribe(topic, listener),
    close: () => inner.close(),
  };
}

function row(id: string, content: string, status: StoredReply["status"] = "STREAMING"): StoredReply {
  return { id, content, status, error: null, promptTokens: null, completionTokens: null, usageEstimated: false, cost: null, firstTokenMs: null, latencyMs: null };
}

async function collect(feed: AsyncIterableIterator<ReplyEvent>): Promise<ReplyEvent[]> {
  const events: ReplyEvent[] = [];
  for await (const event of feed) events.push(event);
  return events;
}

function textOf(events: ReplyEvent[]): string {
  let text = "";
  for (const event of events) {
    expect(event.offset).toBe(text.length);
    text += event.delta;
  }
  return text;
}

const END = { status: "COMPLETE" as const, error: null, usage: null, firstTokenMs: 1, latencyMs: 2 };

test("a follower on another instance gets the snapshot, then the rest, without gap or duplicate", async () => {
  const bus = sharedBus();
  const [a, b] = [new ReplyHub(bus), new ReplyHub(bus)];
  await Promise.all([a.ready(), b.ready()]);
  const live = a.begin("m1", "owner");
  let stored = row("m1", "");
  for (const word of ["one ", "two ", "three "]) live.append(word);

  const events = collect(b.follow(stored, async () => stored));
  await Bun.sleep(10);
  for (const word of ["four ", "five"]) live.append(word);
  stored = row("m1", live.text, "COMPLETE");
  live.finish({ ...END, length: live.text.length });

  const received = await events;
  expect(textOf(received)).toBe("one two three four five");
  expect(received[0]!.delta).toBe("one two three ");
  expect(received.at(-1)).toMatchObject({ done: true, status: "COMPLETE" });
});

test("a lost event is noticed as a gap and repaired from a fresh snapshot", async () => {
  let dropNext = false;
  const bus = sharedBus((_topic, event) => {
    if (dropNext && event.kind === "delta") {
      dropNext = false;
      return true;
    }
    return false;
  });
  const [a, b] = [new ReplyHub(bus), new ReplyHub(bus)];
  await Promise.all([a.ready(), b.ready()]);
  const live = a.begin("m2", "owner");
  let stored = row("m2", "");
  live.append("alpha ");
  const events = collect(b.follow(stored, async () => stored));
  await Bun.sleep(10);
  live.append("bravo ");
  dropNext = true;
  live.append("charlie "); // lost on the way to b
  live.append("delta ");
  await Bun.sleep(10);
  live.append("echo");
  stored = row("m2", live.text, "COMPLETE");
  live.finish({ ...END, length: live.text.length });
  expect(textOf(await events)).toBe("alpha bravo charlie delta echo");
});

test(
  "when the generating instance never answers, the follower falls back on the checkpoint and still ends right",
  async () => {
    // Snapshot requests and answers are lost: the instance behind the reply is unreachable.
    const bus = sharedBus((_topic, event) => event.kind === "snapshot");
    const [a, b] = [new ReplyHub(bus), new ReplyHub(bus)];
    await Promise.all([a.ready(), b.ready()]);
    const live = a.begin("m3", "owner");
    live.append("checkpointed text ");
    let stored = row("m3", live.text); // the last checkpoint
    const events = collect(b.follow(stored, async () => stored));
    await Bun.sleep(SNAPSHOT_TIMEOUT_MS + 100);
    live.append("and more");
    stored = row("m3", live.text, "FAILED");
    stored.error = "interrupted";
    live.finish({ ...END, status: "FAILED", error: "interrupted", length: live.text.length });
    const received = await events;
    expect(textOf(received)).toBe("checkpointed text and more");
    expect(received.at(-1)).toMatchObject({ done: true, status: "FAILED", error: "interrupted" });
  },
  SNAPSHOT_TIMEOUT_MS + 5000,
);

test("a follower that leaves stops listening at once", async () => {
  const bus = sharedBus();
  const hub = new ReplyHub(bus);
  const live = hub.begin("m4", "owner");
  const feed = hub.follow(row("m4", ""), async () => row("m4", ""));
  live.append("x");
  expect((await feed.next()).value?.delta).toBe("x");
  const pending = feed.next();
  await feed.return!();
  expect(await pending).toEqual({ value: undefined, done: true });
  expect(live.listeners.size).toBe(0);
  live.finish({ ...END, length: 1 });
});

test("a reply's pieces go on the bus only once another instance asked for its snapshot; its end always does", async () => {
  const published: string[] = [];
  const bus = sharedBus((topic, event) => {
    if (topic === "aiui:reply:m5") published.push(event.kind);
    return false;
  });
  const [a, b] = [new ReplyHub(bus), new ReplyHub(bus)];
  await Promise.all([a.ready(), b.ready()]);
  const live = a.begin("m5", "owner");
  // A follower on the generating instance itself needs no bus.
  const local = collect(a.follow(row("m5", ""), async () => row("m5", "")));
  for (const word of ["one ", "two ", "three "]) live.append(word);
  expect(published).toEqual([]);

  let stored = row("m5", live.text);
  const elsewhere = collect(b.follow(stored, async () => stored));
  await Bun.sleep(10);
  expect(published).toEqual(["snapshot"]);
  for (const word of ["four ", "five"]) live.append(word);
  stored = row("m5", live.text, "COMPLETE");
  live.finish({ ...END, length: live.text.length });
  expect(published).toEqual(["snapshot", "delta", "delta", "end"]);
  expect(textOf(await elsewhere)).toBe("one two three four five");
  expect(textOf(await local)).toBe("one two three four five");
});

test(
  "a follower whose first snapshot request is lost asks again, and streams from the answer on",
  async () => {
    let lost = 0;
    const bus = sharedBus((topic, event) => topic === "aiui:replies:control" && event.kind === "snapshot" && lost++ === 0);
    const [a, b] = [new ReplyHub(bus), new ReplyHub(bus)];
    await Promise.all([a.ready(), b.ready()]);
    const live = a.begin("m6", "owner");
    live.append("checkpointed ");
    let stored = row("m6", live.text);
    const received: ReplyEvent[] = [];
    const done = (async () => {
      for await (const event of b.follow(stored, async () => stored)) received.push(event);
    })();
    await Bun.sleep(SNAPSHOT_TIMEOUT_MS + 100);
    // The checkpoint was sent, and the second request answered: pieces arrive live again.
    expect(textOf(received)).toBe("checkpointed ");
    live.append("live ");
    await Bun.sleep(10);
    expect(textOf(received)).toBe("checkpointed live ");
    live.append("end");
    stored = row("m6", live.text, "COMPLETE");
    live.finish({ ...END, length: live.text.length });
    await done;
    expect(textOf(received)).toBe("checkpointed live end");
    expect(lost).toBe(2);
  },
  SNAPSHOT_TIMEOUT_MS + 5000,
);
