/** Chats as the web UI reads and changes them. */
import { graphql } from "./gql/index.ts";
import type { ChatPageQuery, ChatsQuery, MessageFieldsFragment } from "./gql/graphql.ts";
import type { ChatSource } from "./gql/enums.ts";
import { client, dataOf } from "./graphql.ts";

/** One page of the chat list. */
export type ChatPage = ChatsQuery["chats"];
export type ChatSummary = ChatPage["edges"][number]["node"];

export const CHATS_PER_PAGE = 40;

const CHATS = graphql(`
  query Chats($first: Int!, $after: String, $source: ChatSource) {
    chats(first: $first, after: $after, source: $source) {
      edges { node { id title source updatedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/** Most recently active first; `after` is the previous page's endCursor. */
export async function fetchChats(after: string | null = null, source: ChatSource | null = null): Promise<ChatPage> {
  return dataOf(await client.query(CHATS, { first: CHATS_PER_PAGE, after, source })).chats;
}

export const RENAME_CHAT = graphql(`
  mutation RenameChat($id: ID!, $title: String!) {
    renameChat(id: $id, title: $title) { id title source updatedAt }
  }
`);

export const DELETE_CHAT = graphql(`
  mutation DeleteChat($id: ID!) {
    deleteChat(id: $id)
  }
`);

export const SWITCH_VERSION = graphql(`
  mutation SwitchVersion($messageId: ID!) {
    switchVersion(messageId: $messageId) { id }
  }
`);

/** Where a chat downloads as Markdown (the conversation shown) or JSON (every version). */
export function exportUrl(chatId: string, format: "markdown" | "json"): string {
  return `/chats/${encodeURIComponent(chatId)}/export?format=${format}`;
}

/**
 * The fields of a message the chat view shows; documents spread it by name
 * (`...MessageFields`) and the generated documents carry its definition.
 */
graphql(`
  fragment MessageFields on Message {
    id role content status error createdAt parentId versionIds
    promptTokens completionTokens cost usageEstimated firstTokenMs latencyMs
    attachments { id mimeType byteSize url }
  }
`);

export type Message = MessageFieldsFragment;
/** A file saved with a message, e.g. a picture; `url` works for the owner only (session cookie). */
export type Attachment = Message["attachments"][number];

/** How many messages a page of a conversation holds. */
export const MESSAGES_PER_PAGE = 50;

const CHAT_PAGE = graphql(`
  query ChatPage($id: ID!, $last: Int, $first: Int, $around: ID) {
    chat(id: $id) {
      id
      title
      source
      updatedAt
      model { id name description bestUseCases inputCostPerMTok outputCostPerMTok active supportsImages contextWindow }
      messages(last: $last, first: $first, around: $around) {
        edges { cursor node { ...MessageFields } }
        pageInfo { hasPreviousPage hasNextPage }
      }
    }
  }
`);

export type OpenChat = ChatPageQuery["chat"];
export type MessagePage = OpenChat["messages"];
/** The model a chat talks to; null when it has none (e.g. it was deleted). */
export type ChatModel = NonNullable<OpenChat["model"]>;

/** A chat with its newest page of messages, or the page around message `around`. */
export async function fetchChat(id: string, around: string | null = null): Promise<OpenChat> {
  const page = around ? { first: MESSAGES_PER_PAGE, around } : { last: MESSAGES_PER_PAGE };
  return dataOf(await client.query(CHAT_PAGE, { id, ...page })).chat;
}

const MESSAGES = graphql(`
  query ChatMessages($id: ID!, $last: Int, $before: String, $first: Int, $after: String, $around: ID) {
    chat(id: $id) {
      id
      messages(last: $last, before: $before, first: $first, after: $after, around: $around) {
        edges { cursor node { ...MessageFields } }
        pageInfo { hasPreviousPage hasNextPage }
      }
    }
  }
`);

/**
 * The page before the cursor `before`, after the cursor `after` (cursors come with the
 * messages of earlier pages: the server signs them for this chat), from the first message
 * (after: null), around a message id, or the newest.
 */
export async function fetchMessages(
  chatId: string,
  page: { before: string } | { after: string | null; first?: number } | { around: string } | { newest: true },
): Promise<MessagePage> {
  const variables =
    "before" in page
      ? { id: chatId, last: MESSAGES_PER_PAGE, before: page.before }
      : "newest" in page
        ? { id: chatId, last: MESSAGES_PER_PAGE }
        : "around" in page
          ? { id: chatId, first: MESSAGES_PER_PAGE, around: page.around }
          : { id: chatId, first: page.first ?? MESSAGES_PER_PAGE, ...(page.after ? { after: page.after } : {}) };
  return dataOf(await client.query(MESSAGES, variables)).chat.messages;
}
