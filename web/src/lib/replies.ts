/**
 * Sending messages and following the model's replies as they are written.
 *
 * A reply streams over the `replyStream` subscription (SSE through the one urql client):
 * the first event carries all the text so far (so joining late, e.g. after a reload,
 * works), each later one continues at its `offset`, and the last one (`done`) brings
 * the final status, the error if it failed, and the usage.
 */
import type { Message } from "./chats.ts";
import { graphql } from "./gql/index.ts";
import type { ReplyStreamSubscription } from "./gql/graphql.ts";
import { client, problemsOf } from "./graphql.ts";

/** The parts of a reply that change while it streams. */
export type LiveReply = Pick<
  Message,
  "content" | "status" | "error" | "promptTokens" | "completionTokens" | "cost" | "usageEstimated" | "firstTokenMs" | "latencyMs"
>;

export type ReplyEvent = ReplyStreamSubscription["replyStream"];

/** Without chatId a new chat is started; images go as a multipart request (urql does it for File values). */
export const SEND_MESSAGE = graphql(`
  mutation SendMessage($chatId: ID, $content: String!, $modelId: ID, $images: [File!]) {
    sendMessage(chatId: $chatId, content: $content, modelId: $modelId, images: $images) {
      chat { id title source updatedAt model { id name } }
      message { ...MessageFields }
      reply { ...MessageFields }
    }
  }
`);

export const EDIT_MESSAGE = graphql(`
  mutation EditMessage($messageId: ID!, $content: String!, $modelId: ID) {
    editMessage(messageId: $messageId, content: $content, modelId: $modelId) {
      chat { id title source updatedAt model { id name } }
      message { ...MessageFields }
      reply { ...MessageFields }
    }
  }
`);

export const CANCEL_REPLY = graphql(`
  mutation CancelReply($messageId: ID!) {
    cancelReply(messageId: $messageId) { ...MessageFields }
  }
`);

export const REGENERATE = graphql(`
  mutation Regenerate($chatId: ID!, $messageId: ID, $modelId: ID) {
    regenerate(chatId: $chatId, messageId: $messageId, modelId: $modelId) { ...MessageFields }
  }
`);

const REPLY_STREAM = graphql(`
  subscription ReplyStream($messageId: ID!) {
    replyStream(messageId: $messageId) {
      messageId offset delta status done error firstTokenMs latencyMs
      usage { promptTokens completionTokens cost estimated }
    }
  }
`);

/**
 * The reply after `event`: its delta continues the text at `offset` (text the reply
 * already has is not added twice); on the last event, the final status and usage.
 * Null when the event starts past the end of the text: a piece is missing.
 */
export function applyReplyEvent(reply: LiveReply, event: ReplyEvent): LiveReply | null {
  if (event.offset > reply.content.length) return null;
  const end = event.offset + event.delta.length;
  const content = end > reply.content.length ? reply.content.slice(0, event.offset) + event.delta : reply.content;
  if (!event.done) return { ...reply, content, status: "STREAMING" };
  return {
    ...reply,
    content,
    status: event.status,
    error: event.error,
    promptTokens: event.usage?.promptTokens ?? reply.promptTokens,
    completionTokens: event.usage?.completionTokens ?? reply.completionTokens,
    cost: event.usage?.cost ?? reply.cost,
    usageEstimated: event.usage?.estimated ?? reply.usageEstimated,
    firstTokenMs: event.firstTokenMs ?? reply.firstTokenMs,
    latencyMs: event.latencyMs ?? reply.latencyMs,
  };
}

/** Restarts after a missing piece; the new subscription's first event has all the text again. */
const MAX_RESTARTS = 3;

/**
 * Follows reply `messageId` from `start`, calling `onChange` with each new state until
 * the last event, or `onLost` when the stream cannot be followed. Returns a function
 * that stops following (the reply itself goes on).
 */
export function followReply(
  messageId: string,
  start: LiveReply,
  onChange: (reply: LiveReply) => void,
  onLost: (problem: string) => void,
): () => void {
  let reply = start;
  let restarts = 0;
  let stopped = false;
  let subscription: { unsubscribe(): void } | null = null;

  function stop() {
    stopped = true;
    subscription?.unsubscribe();
    subscription = null;
  }

  function subscribe() {
    subscription = client.subscription(REPLY_STREAM, { messageId }).subscribe((result) => {
      if (stopped) return;
      if (result.error) {
        stop();
        onLost(problemsOf(result.error).general ?? "The reply could not be followed.");
        return;
      }
      const event = result.data?.replyStream;
      if (!event) return;
      const next = applyReplyEvent(reply, event);
      if (!next) {
        subscription?.unsubscribe();
        if (++restarts > MAX_RESTARTS) {
          stop();
          onLost("Part of the reply went missing on the way: reload the page to see all of it.");
        } else {
          subscribe();
        }
        return;
      }
      reply = next;
      onChange(reply);
      if (event.done) stop();
    });
  }

  subscribe();
  return stop;
}
