/**
 * The channel between instances for reply events and requests about replies (cancel,
 * snapshot). With REDIS_URL set it is Redis pub/sub (through
 * @graphql-yoga/redis-event-target); without, there is one instance and nothing to
 * share, so the hub keeps everything in process and this bus only loops back.
 *
 * Ordering matters for late joins (hub.ts): everything one instance publishes goes
 * through one Redis connection, and Redis delivers a connection's messages to a
 * channel's subscribers in the order they were published.
 */
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";

export interface ReplyBus {
  /** True when other instances may be listening (Redis). */
  readonly distributed: boolean;
  publish(topic: string, event: unknown): void;
  /** Resolves once the subscription is in place: anything published afterwards reaches `listener`. */
  subscribe(topic: string, listener: (event: unknown) => void): Promise<() => void>;
  close(): Promise<void>;
}

export function inProcessBus(): ReplyBus {
  const listeners = new Map<string, Set<(event: unknown) => void>>();
  return {
    distributed: false,
    publish(topic, event) {
      for (const listener of listeners.get(topic) ?? []) listener(event);
    },
    async subscribe(topic, listener) {
      const set = listeners.get(topic) ?? new Set();
      listeners.set(topic, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(topic);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}

export function redisBus(url: string, log: (line: string) => void = console.error): ReplyBus {
  const options = { maxRetriesPerRequest: null, enableAutoPipelining: true, connectionName: "aiui-replies" };
  const publishClient = new Redis(url, options);
  const subscribeClient = new Redis(url, options);
  // ioredis reconnects by itself; say so once per outage instead of an "Unhandled error event" per retry.
  let down = false;
  for (const client of [publishClient, subscribeClient]) {
    client.on("error", (error: Error) => {
      if (!down) log(`Redis unreachable (${error.message}); reply events wait until it is back.`);
      down = true;
    });
    client.on("ready", () => {
      if (down) log("Redis is back.");
      down = false;
    });
  }
  const target = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    distributed: true,
    publish(topic, event) {
      target.dispatchEvent(new CustomEvent(topic, { detail: event }));
    },
    async subscribe(topic, listener) {
      const callback = (event: Event) => listener((event as CustomEvent).detail);
      target.addEventListener(topic, callback);
      // The event target subscribes without waiting; asking again and awaiting the
      // answer means the first SUBSCRIBE (sent earlier on the same connection) is done.
      await subscribeClient.subscribe(topic);
      return () => target.removeEventListener(topic, callback);
    },
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
