/**
 * Reading GraphQL subscriptions as a real client does, against a listening server:
 * over SSE (fetch with Accept: text/event-stream, the way urql's fetchSubscriptions
 * does) and over WebSocket with the real `graphql-ws` client. Every event is stamped
 * with performance.now() on arrival.
 */
import { type Client, createClient } from "graphql-ws";
import { CSRF_HEADER } from "../../server/src/graphql/yoga.ts";
import type { GraphQLResult } from "./app.ts";

export interface Stamped<T> {
  result: GraphQLResult<T>;
  /** performance.now() when the event arrived. */
  at: number;
}

export interface Subscription<T> {
  /** Resolves with every event once the server completes the subscription. */
  done: Promise<Stamped<T>[]>;
  events: Stamped<T>[];
  /** Stops listening (closes the connection / unsubscribes). */
  stop(): void;
}

export const REPLY_STREAM = `subscription($id: ID!) {
  replyStream(messageId: $id) {
    messageId offset delta status done error firstTokenMs latencyMs
    usage { promptTokens completionTokens estimated cost }
  }
}`;

/** The events of a text/event-stream body, each stamped with when its chunk arrived. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event?: string; data: string; at: number }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    const at = performance.now();
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const lines = buffer.slice(0, end).split("\n");
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      yield { event, data, at };
    }
  }
}

/** GraphQL over SSE: POST /graphql with Accept: text/event-stream. */
export function sseSubscribe<T = Record<string, any>>(
  baseUrl: string,
  cookie: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Subscription<T> {
  const controller = new AbortController();
  const events: Stamped<T>[] = [];
  const done = (async () => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        [CSRF_HEADER]: "1",
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
      // Errors before the stream starts come back as a plain JSON result.
      events.push({ result: (await response.json()) as GraphQLResult<T>, at: performance.now() });
      return events;
    }
    try {
      for await (const { event, data, at } of sseEvents(response.body!)) {
        if (event === "complete") return events;
        if (event === "next" && data) events.push({ result: JSON.parse(data) as GraphQLResult<T>, at });
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    return events;
  })();
  return { done, events, stop: () => controller.abort() };
}

/** A graphql-ws client whose upgrade request carries `cookie` (and `origin`, when given). */
export function wsClient(baseUrl: string, cookie: string | null, extraHeaders: Record<string, string> = {}): Client {
  const headers = { ...(cookie ? { cookie } : {}), ...extraHeaders };
  class CookieWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      // Bun's WebSocket takes headers, as a browser would send its cookies.
      super(url, { protocols, headers } as unknown as string[]);
    }
  }
  return createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: CookieWebSocket,
    retryAttempts: 0,
    lazy: true,
  });
}

/** GraphQL over WebSocket with the real graphql-ws client. */
export function wsSubscribe<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const events: Stamped<T>[] = [];
  let unsubscribe = () => {};
  const done = new Promise<Stamped<T>[]>((resolve, reject) => {
    unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => void events.push({ result: result as GraphQLResult<T>, at: performance.now() }),
        error: (error) => {
          // graphql-ws reports GraphQL errors as an array; keep them as a result like SSE does.
          if (Array.isArray(error)) {
            events.push({ result: { errors: error }, at: performance.now() });
            resolve(events);
          } else reject(error);
        },
        complete: () => resolve(events),
      },
    );
  });
  return { done, events, stop: () => unsubscribe() };
}

export interface ReplyEventData {
  messageId: string;
  offset: number;
  delta: string;
  status: string;
  done: boolean;
  error: string | null;
  firstTokenMs: number | null;
  latencyMs: number | null;
  usage: { promptTokens: number; completionTokens: number; estimated: boolean; cost: number } | null;
}

/** The replyStream events of a subscription, and the text they add up to (checking offsets line up). */
export function replyEvents(events: Stamped<Record<string, any>>[]) {
  const errors = events.flatMap((e) => e.result.errors ?? []);
  if (errors.length) throw new Error(`subscription errors: ${JSON.stringify(errors)}`);
  const list = events.map((e) => ({ ...(e.result.data!.replyStream as ReplyEventData), at: e.at }));
  let text = "";
  for (const event of list) {
    if (event.offset !== text.length) throw new Error(`event at offset ${event.offset} after ${text.length} characters: a gap or a duplicate`);
    text += event.delta;
  }
  return { list, text, last: list.at(-1) };
}
