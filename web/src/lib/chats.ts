/** Chats as the web UI reads and changes them. */
import { client, dataOf, gql } from "./graphql.ts";

/** Where a chat was started: the web UI, the API, or the glasses (Noa app). */
export type ChatSource = "WEB" | "API" | "GLASSES";

export interface ChatSummary {
  id: string;
  title: string;
  source: ChatSource;
  updatedAt: string;
}

export interface ChatPage {
  edges: { node: ChatSummary }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const CHATS_PER_PAGE = 50;

const CHATS = gql<{ chats: ChatPage }, { first: number; after: string | null }>`
  query Chats($first: Int!, $after: String) {
    chats(first: $first, after: $after) {
      edges { node { id title source updatedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

/** Most recently active first; `after` is the previous page's endCursor. */
export async function fetchChats(after: string | null = null): Promise<ChatPage> {
  return dataOf(await client.query(CHATS, { first: CHATS_PER_PAGE, after })).chats;
}

export const CREATE_CHAT = gql<{ createChat: ChatSummary }, { input: { title: string | null } }>`
  mutation CreateChat($input: CreateChatInput) {
    createChat(input: $input) { id title source updatedAt }
  }
`;

export const RENAME_CHAT = gql<{ renameChat: ChatSummary }, { id: string; title: string }>`
  mutation RenameChat($id: ID!, $title: String!) {
    renameChat(id: $id, title: $title) { id title source updatedAt }
  }
`;

export const DELETE_CHAT = gql<{ deleteChat: string }, { id: string }>`
  mutation DeleteChat($id: ID!) {
    deleteChat(id: $id)
  }
`;

export type MessageRole = "SYSTEM" | "USER" | "ASSISTANT";
export type MessageStatus = "COMPLETE" | "STREAMING" | "FAILED" | "CANCELLED";

/** A file saved with a message, e.g. the glasses' camera picture; `url` works for the owner only (session cookie). */
export interface Attachment {
  id: string;
  mimeType: string;
  byteSize: number;
  url: string;
}

/** What a finished reply cost and how long it took; null while unknown. */
export interface ReplyUsageFields {
  promptTokens: number | null;
  completionTokens: number | null;
  cost: number | null;
  /** True when the provider reported no usage and the token counts are an estimate. */
  usageEstimated: boolean;
  firstTokenMs: number | null;
  latencyMs: number | null;
}

export interface Message extends ReplyUsageFields {
  id: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  createdAt: string;
  attachments: Attachment[];
}

/** The fields of a message the chat view shows (keep in line with `Message`). */
export const MESSAGE_FIELDS = gql`
  fragment MessageFields on Message {
    id role content status error createdAt
    promptTokens completionTokens cost usageEstimated firstTokenMs latencyMs
    attachments { id mimeType byteSize url }
  }
`;

/** The model a chat talks to; null when it has none (e.g. it was deleted). */
export interface ChatModel {
  id: string;
  name: string;
  active: boolean;
}

export interface ChatWithMessages {
  id: string;
  title: string;
  source: ChatSource;
  model: ChatModel | null;
  messages: { edges: { node: Message }[]; pageInfo: { hasPreviousPage: boolean } };
}

export const MESSAGES_SHOWN = 50;

const CHAT = gql<{ chat: ChatWithMessages }, { id: string; last: number }>`
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
  ${MESSAGE_FIELDS}
`;

export async function fetchChat(id: string): Promise<ChatWithMessages> {
  return dataOf(await client.query(CHAT, { id, last: MESSAGES_SHOWN })).chat;
}
