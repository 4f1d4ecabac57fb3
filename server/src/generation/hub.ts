/**
 * Live replies and the people following them.
 *
 * The instance generating a reply keeps it in memory (`LiveReply`): the text so far
 * and the set of local followers. Every new piece of text is an event carrying its
 * `offset`, the position in the reply where it starts; the offset is the sequence
 * number, so "have I seen this?" is a comparison, wherever the event came from.
 *
 * Late join, no gap and no duplicate:
 *  - Same instance: taking the snapshot (the text so far) and adding the follower
 *    happen in one synchronous step, so every later event starts at or after the
 *    snapshot's end.
 *  - Another instance (Redis): the follower first subscribes to the reply's topic,
 *    buffering what arrives, then asks on the control topic for a snapshot. The
 *    generating instance answers on the reply's topic, on the same connection as its
 *    events, so everything after the snapshot is newer than it. The follower sends
 *    the snapshot, then the buffered and later events, each cut against the number of
 *    characters already sent (an event wholly before it is dropped, one overlapping it
 *    is trimmed). An event that starts beyond it would be a gap: the follower asks for
 *    a fresh snapshot instead of sending it.
 *  - The end event is published after the final database write and says how long the
 *    final text is; a follower that has sent less reads the rest from the database.
 *  - Nobody answers a snapshot request (the generating instance died): after
 *    SNAPSHOT_TIMEOUT_MS the follower sends the last checkpoint from the database and
 *    asks again (one read per SNAPSHOT_TIMEOUT_MS while unanswered); the stale-reply
 *    sweep (service.ts) ends such replies and publishes their end.
 *  - A reply's pieces are published only once another instance has asked for its
 *    snapshot (`followedElsewhere`): a follower elsewhere needs nothing older than its
 *    snapshot, and a reply nobody follows elsewhere then costs Redis no command per token
 *    (the end is always published: `cancel` and the sweep's followers wait for it).
 *
 * A follower that reads slowly gets consecutive pieces merged into one event, so a
 * slow client costs memory in proportion to the text, not to the number of tokens.
 */
import { randomUUID } from "node:crypto";
import type { MessageStatus } from "../db/generated/sqlite/client.ts";
import type { ReplyBus } from "./bus.ts";
import type { StopReason } from "./provider-errors.ts";
import { INTERRUPTED } from "./reply-errors.ts";

export const SNAPSHOT_TIMEOUT_MS = 2000;
const CONTROL_TOPIC = "aiui:replies:control";
const topicOf = (messageId: string) => `aiui:reply:${messageId}`;

export interface ReplyUsage {
  promptTokens: number;
  completionTokens: number;
  /** True when the provider reported no usage and these are our estimate. */
  estimated: boolean;
  cost: number;
}

export interface ReplyEnd {
  status: Exclude<MessageStatus, "STREAMING">;
  error: string | null;
  usage: ReplyUsage | null;
  firstTokenMs: number | null;
  latencyMs: number | null;
  /** Length of the final text. */
  length: number;
  /** Why the provider stopped ("stop", "length"…), when it said; not stored (followers of a stored row get none). */
  finishReason?: string | null;
}

/** What travels on a reply's topic. */
type WireEvent =
  | { kind: "delta"; offset: number; delta: string }
  | { kind: "snapshot"; nonce: string; text: string }
  | { kind: "end"; end: ReplyEnd };

type ControlEvent = { kind: "cancel"; messageId: string } | { kind: "snapshot"; messageId: string; nonce: string };

/** One event of the replyStream subscription. */
export interface ReplyEvent {
  messageId: string;
  /** Where `delta` starts in the reply's text. */
  offset: number;
  delta: string;
  status: MessageStatus;
  done: boolean;
  error: string | null;
  usage: ReplyUsage | null;
  firstTokenMs: number | null;
  latencyMs: number | null;
  /** On the last event: why the provider stopped, when the generating instance heard it. */
  finishReason?: string | null;
}

/** The stored state of a message, as a follower needs it. */
export interface StoredReply {
  id: string;
  content: string;
  status: MessageStatus;
  error: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  usageEstimated: boolean;
  cost: unknown;
  firstTokenMs: number | null;
  latencyMs: number | null;
}

export function endOf(row: StoredReply): ReplyEnd {
  const usage =
    row.promptTokens === null || row.completionTokens === null
      ? null
      : { promptTokens: row.promptTokens, completionTokens: row.completionTokens, estimated: row.usageEstimated, cost: Number(row.cost ?? 0) };
  // Still STREAMING here means nobody is writing it any more (see startFollowing).
  const abandoned = row.status === "STREAMING";
  return {
    status: row.status === "STREAMING" ? "FAILED" : row.status,
    error: abandoned ? (row.error ?? INTERRUPTED) : row.error,
    usage,
    firstTokenMs: row.firstTokenMs,
    latencyMs: row.latencyMs,
    length: row.content.length,
  };
}

export class LiveReply {
  text = "";
  readonly controller = new AbortController();
  stopReason: StopReason | null = null;
  /** Another instance asked for a snapshot: from then on every piece is published. */
  followedElsewhere = false;
  readonly listeners = new Set<(event: WireEvent) => void>();
  /** Resolves once the final state is written and announced. */
  readonly ended: Promise<ReplyEnd>;
  private resolveEnded!: (end: ReplyEnd) => void;

  constructor(
    readonly messageId: string,
    /** The user whose chat it is: the only one the fence lets read it (accounts/fence.ts, Message). */
    readonly ownerId: string,
    private readonly emit: (event: WireEvent) => void,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
  }

  append(delta: string): void {
    const offset = this.text.length;
    this.text += delta;
    this.emit({ kind: "delta", offset, delta });
  }

  /** Stops generation (the provider request is aborted); the first reason wins. */
  stop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.controller.abort(reason);
  }

  finish(end: ReplyEnd): void {
    this.emit({ kind: "end", end });
    this.resolveEnded(end);
  }
}

export class ReplyHub {
  private readonly live = new Map<string, LiveReply>();
  private controlSubscription: Promise<() => void> | null = null;

  constructor(private readonly bus: ReplyBus) {
    if (bus.distributed) this.controlSubscription = bus.subscribe(CONTROL_TOPIC, (event) => this.onControl(event as ControlEvent));
  }

  /** Resolves once this instance hears cancel and snapshot requests from the others. */
  async ready(): Promise<void> {
    await this.controlSubscription;
  }

  get activeCount(): number {
    return this.live.size;
  }

  localReply(messageId: string): LiveReply | undefined {
    return this.live.get(messageId);
  }

  activeIds(): string[] {
    return [...this.live.keys()];
  }

  /** Registers a reply this instance generates, in `ownerId`'s chat. */
  begin(messageId: string, ownerId: string): LiveReply {
    const topic = topicOf(messageId);
    const reply = new LiveReply(messageId, ownerId, (event) => {
      for (const listener of reply.listeners) listener(event);
      if (this.bus.distributed && (event.kind !== "delta" || reply.followedElsewhere)) this.bus.publish(topic, event);
      if (event.kind === "end") this.live.delete(messageId);
    });
    this.live.set(messageId, reply);
    return reply;
  }

  /** Announces the end of a reply no instance is generating (recovered or orphaned). */
  announceEnd(messageId: string, end: ReplyEnd): void {
    if (this.bus.distributed) this.bus.publish(topicOf(messageId), { kind: "end", end } satisfies WireEvent);
  }

  /**
   * Stops a reply wherever it is generated and resolves with its end, or null when no
   * instance ended it within `timeoutMs`.
   */
  async cancel(messageId: string, timeoutMs: number): Promise<ReplyEnd | null> {
    const local = this.live.get(messageId);
    if (local) {
      local.stop("cancel");
      return local.ended;
    }
    if (!this.bus.distributed) return null;
    let unsubscribe = () => {};
    const ended = new Promise<ReplyEnd | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.bus
        .subscribe(topicOf(messageId), (event) => {
          if ((event as WireEvent).kind === "end") {
            clearTimeout(timer);
            resolve((event as { end: ReplyEnd }).end);
          }
        })
        .then(
          (off) => {
            unsubscribe = off;
            this.bus.publish(CONTROL_TOPIC, { kind: "cancel", messageId } satisfies ControlEvent);
          },
          () => {
            clearTimeout(timer);
            resolve(null);
          },
        );
    });
    try {
      return await ended;
    } finally {
      unsubscribe();
    }
  }

  /** Stops every local reply (shutdown) and waits until each has written its final state. */
  async stopAll(reason: StopReason): Promise<void> {
    const replies = [...this.live.values()];
    for (const reply of replies) reply.stop(reason);
    await Promise.all(replies.map((reply) => reply.ended));
  }

  async close(): Promise<void> {
    (await this.controlSubscription)?.();
  }

  /**
   * The events of one reply for one follower: the text so far, then the rest, then the
   * end. `row` is the message as the follower may see it (read through their fence);
   * `reread` reads it again the same way.
   */
  follow(row: StoredReply, reread: () => Promise<StoredReply | null>): AsyncIterableIterator<ReplyEvent> {
    const feed = new Feed(row.id);
    void this.startFollowing(feed, row, reread).catch((error) => {
      console.error("Following a reply failed:", error);
      feed.fail();
    });
    return feed;
  }

  /**
   * The events of a reply generated here, for the user whose chat it is: nothing needs
   * reading, since the fence lets exactly that user read it. Null when it is not live here
   * or `userId` is someone else (the caller then reads it through the viewer's fence).
   */
  followOwn(messageId: string, userId: string, reread: () => Promise<StoredReply | null>): AsyncIterableIterator<ReplyEvent> | null {
    const local = this.live.get(messageId);
    if (!local || local.ownerId !== userId) return null;
    const feed = new Feed(messageId);
    this.attach(feed, local, reread);
    return feed;
  }

  /** One synchronous step: the snapshot, then every later event of `local`. */
  private attach(feed: Feed, local: LiveReply, reread: () => Promise<StoredReply | null>): void {
    const listener = (event: WireEvent) => feed.onWire(event, reread);
    local.listeners.add(listener);
    feed.onClose(() => local.listeners.delete(listener));
    feed.sendText(local.text);
  }

  private async startFollowing(feed: Feed, row: StoredReply, reread: () => Promise<StoredReply | null>): Promise<void> {
    if (row.status !== "STREAMING") return feed.finishFrom(row);

    const local = this.live.get(row.id);
    if (local) return this.attach(feed, local, reread);

    if (!this.bus.distributed) {
      // One instance and not generated here: it ended between the caller's read and now.
      const fresh = await reread();
      return fresh ? feed.finishFrom(fresh) : feed.fail();
    }

    feed.bufferUntilSnapshot();
    const unsubscribe = await this.bus.subscribe(topicOf(row.id), (event) => feed.onWire(event as WireEvent, reread));
    feed.onClose(unsubscribe);
    if (feed.stopped) return;
    // It may have ended before the subscription was in place.
    const fresh = await reread();
    if (!fresh) return feed.fail();
    if (fresh.status !== "STREAMING") return feed.finishFrom(fresh);
    feed.requestSnapshot = (nonce) => this.bus.publish(CONTROL_TOPIC, { kind: "snapshot", messageId: row.id, nonce } satisfies ControlEvent);
    feed.startSync(reread);
  }

  private onControl(event: ControlEvent): void {
    const reply = this.live.get(event.messageId);
    if (!reply) return;
    if (event.kind === "cancel") {
      reply.stop("cancel");
      return;
    }
    // Published on the reply's topic before any later piece: the follower continues from it.
    reply.followedElsewhere = true;
    this.bus.publish(topicOf(event.messageId), { kind: "snapshot", nonce: event.nonce, text: reply.text } satisfies WireEvent);
  }
}

/** Stands for "buffer everything" before the first snapshot request has a nonce. */
const NOT_YET_REQUESTED = "not-yet-requested";

/** One follower's queue: an async iterator whose `return()` ends it at once. */
class Feed implements AsyncIterableIterator<ReplyEvent> {
  private readonly queue: ReplyEvent[] = [];
  private waiting: ((result: IteratorResult<ReplyEvent>) => void) | null = null;
  private readonly cleanups: (() => void)[] = [];
  /** No more input: what is queued is delivered, then the iterator is done. */
  private ending = false;
  /** The end arrived but text is missing; it is being read from the database. */
  private finishing = false;
  /** Done: the consumer went away or everything was delivered. */
  closed = false;
  /** Characters of the reply already queued for this follower. */
  private sent = 0;
  /** While waiting for a snapshot: its nonce, and the events that arrived meanwhile. */
  private syncing: string | null = null;
  private buffered: { offset: number; delta: string }[] = [];
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  requestSnapshot: ((nonce: string) => void) | null = null;

  constructor(private readonly messageId: string) {}

  get stopped(): boolean {
    return this.closed || this.ending;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<ReplyEvent>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.closed || this.ending) {
      this.closed = true;
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The consumer went away (client disconnected, subscription stopped). */
  return(): Promise<IteratorResult<ReplyEvent>> {
    this.stopInput();
    this.closed = true;
    this.queue.length = 0;
    this.wake();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<ReplyEvent>> {
    void this.return();
    return Promise.reject(error);
  }

  onClose(cleanup: () => void): void {
    if (this.ending || this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Ends the feed without an end event (the message disappeared, or following broke). */
  fail(): void {
    this.stopInput();
    if (this.queue.length === 0) this.wake();
  }

  private stopInput(): void {
    this.ending = true;
    clearTimeout(this.syncTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private wake(): void {
    const resolve = this.waiting;
    this.waiting = null;
    if (resolve) {
      this.closed = true;
      resolve({ value: undefined, done: true });
    }
  }

  private push(event: ReplyEvent): void {
    if (this.closed || this.ending) return;
    if (event.done) this.stopInput();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    const last = this.queue.at(-1);
    // A slow reader: merge consecutive pieces of text into one event.
    if (last && !last.done && !event.done && last.offset + last.delta.length === event.offset) {
      last.delta += event.delta;
      return;
    }
    this.queue.push(event);
  }

  /** Sends the part of `text` (the reply from its start) this follower has not had yet. */
  sendText(text: string): void {
    if (text.length <= this.sent) return;
    this.push(this.piece(text.slice(this.sent)));
    this.sent = text.length;
  }

  /** The next piece for this follower: `delta` continues where the text sent so far ends (one object per token: no spread). */
  private piece(delta: string): ReplyEvent {
    return { messageId: this.messageId, offset: this.sent, delta, status: "STREAMING", done: false, error: null, usage: null, firstTokenMs: null, latencyMs: null };
  }

  /** The reply is final: the text this follower lacks (from `content`, the whole final text), then the end. */
  finish(end: ReplyEnd, content = ""): void {
    const rest = content.length > this.sent ? content.slice(this.sent) : "";
    this.push({ ...this.piece(rest), status: end.status, done: true, error: end.error, usage: end.usage, firstTokenMs: end.firstTokenMs, latencyMs: end.latencyMs, finishReason: end.finishReason ?? null });
    this.sent += rest.length;
  }

  finishFrom(row: StoredReply): void {
    this.finish(endOf(row), row.content);
  }

  onWire(event: WireEvent, reread: () => Promise<StoredReply | null>): void {
    if (this.closed || this.ending || this.finishing) return;
    switch (event.kind) {
      case "delta":
        if (this.syncing) this.buffered.push(event);
        else this.sendDelta(event, reread);
        return;
      case "snapshot":
        if (event.nonce === this.syncing) this.endSync(event.text, reread);
        return;
      case "end":
        if (!this.syncing && this.sent === event.end.length) {
          this.finish(event.end);
          return;
        }
        // Text is missing; the final write happened before the end was published.
        this.finishing = true;
        clearTimeout(this.syncTimer);
        reread().then(
          (row) => (row ? this.finish(event.end, row.content) : this.fail()),
          () => this.fail(),
        );
        return;
    }
  }

  private sendDelta(event: { offset: number; delta: string }, reread: () => Promise<StoredReply | null>): void {
    const end = event.offset + event.delta.length;
    if (end <= this.sent) return; // already sent
    if (event.offset > this.sent) {
      // What lies between the text sent and this event is missing: resynchronise.
      this.buffered.push(event);
      this.startSync(reread);
      return;
    }
    this.push(this.piece(event.delta.slice(this.sent - event.offset)));
    this.sent = end;
  }

  /** Buffers every event until the first snapshot (a follower on another instance). */
  bufferUntilSnapshot(): void {
    this.syncing = NOT_YET_REQUESTED;
  }

  startSync(reread: () => Promise<StoredReply | null>): void {
    if (!this.requestSnapshot || (this.syncing && this.syncing !== NOT_YET_REQUESTED)) return;
    const nonce = randomUUID();
    this.syncing = nonce;
    this.syncTimer = setTimeout(() => void this.syncTimedOut(nonce, reread), SNAPSHOT_TIMEOUT_MS);
    this.requestSnapshot(nonce);
  }

  private endSync(text: string, reread: () => Promise<StoredReply | null>): void {
    clearTimeout(this.syncTimer);
    this.syncing = null;
    this.sendText(text);
    const buffered = this.buffered.splice(0);
    for (let i = 0; i < buffered.length; i++) {
      this.sendDelta(buffered[i]!, reread);
      if (this.syncing) {
        // A gap again: keep the rest for the next snapshot.
        this.buffered.push(...buffered.slice(i + 1));
        return;
      }
    }
  }

  /** Nobody answered: the generating instance is gone or slow. Fall back on the database. */
  private async syncTimedOut(nonce: string, reread: () => Promise<StoredReply | null>): Promise<void> {
    const row = await reread().catch(() => null);
    if (this.syncing !== nonce || this.closed || this.ending || this.finishing) return;
    if (!row) return this.fail();
    if (row.status !== "STREAMING") {
      this.syncing = null;
      this.buffered = [];
      return this.finishFrom(row);
    }
    // Send the checkpoint and ask again: a live instance publishes its pieces only once it
    // heard a snapshot request, and the next answer continues from wherever this one is.
    this.endSync(row.content, reread);
    this.startSync(reread);
  }
}
