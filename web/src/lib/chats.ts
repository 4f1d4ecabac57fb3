/** Chats as the web UI reads and changes them. */
import { graphql } from "./gql/index.ts";
import type { ChatQuery, ChatsQuery, MessageFieldsFragment } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

/** One page of the chat list. */
export type ChatPage = ChatsQuery["chats"];
export type ChatSummary = ChatPage["edges"][number]["node"];

export const CHATS_PER_PAGE = 50;

const CHATS = graphql(`
  query Chats($first: Int!, $after: String) {
    chats(first: $first, after: $after) {
      edges { node { id title source updatedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/** Most recently active first; `after` is the previous page's endCursor. */
export async function fetchChats(after: string | null = null): Promise<ChatPage> {
  return dataOf(await client.query(CHATS, { first: CHATS_PER_PAGE, after })).chats;
}

export const CREATE_CHAT = graphql(`
  mutation CreateChat($input: CreateChatInput) {
    createChat(input: $input) { id title source updatedAt }
  }
`);

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

/**
 * The fields of a message the chat view shows; documents spread it by name
 * (`...MessageFields`) and the generated documents carry its definition.
 */
graphql(`
  fragment MessageFields on Message {
    id role content status error createdAt
    promptTokens completionTokens cost usageEstimated firstTokenMs latencyMs
    attachments { id mimeType byteSize url }
  }
`);

export type Message = MessageFieldsFragment;
/** A file saved with a message, e.g. the glasses' camera picture; `url` works for the owner only (session cookie). */
export type Attachment = Message["attachments"][number];

/** A chat with its latest messages. */
export type ChatWithMessages = ChatQuery["chat"];
/** The model a chat talks to; the chat's `model` is null when it has none (e.g. it was deleted). */
export type ChatModel = NonNullable<ChatWithMessages["model"]>;

export const MESSAGES_SHOWN = 50;

const CHAT = graphql(`
  query Chat($id: ID!, $last: Int!) {
    chat(id: $id) {
      id
      title
      source
      model { id name active }
      messages(last: $last) {
        edges { node { ...MessageFields } }
        pageInfo { hasPreviousPage }
      }
    }
  }
`);

export async function fetchChat(id: string): Promise<ChatWithMessages> {
  return dataOf(await client.query(CHAT, { id, last: MESSAGES_SHOWN })).chat;
}
