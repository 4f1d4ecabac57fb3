/** Memory: what the assistant remembers about the user, and whether it remembers at all. */
import { graphql } from "./gql/index.ts";
import type { MemoryFieldsFragment, MemoryPageQuery } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

/** load()'s dependency key for the Memory page. */
export const MEMORY_PAGE = "app:memory";

/** Memories per page of the list. */
export const MEMORY_PAGE_SIZE = 50;

graphql(`
  fragment MemoryFields on Memory {
    id text createdAt updatedAt lastUsedAt sourceChatId
  }
`);

export type Memory = MemoryFieldsFragment;
export type MemoryPageData = MemoryPageQuery;
export type MemoryList = MemoryPageQuery["memories"];

export const MEMORIES_QUERY = graphql(`
  query Memories($search: String, $first: Int!, $after: String) {
    memories(search: $search, first: $first, after: $after) {
      totalCount
      edges { node { ...MemoryFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const MEMORY_PAGE_QUERY = graphql(`
  query MemoryPage($first: Int!) {
    memorySettings { enabled embeddingModel maxTextLength }
    memories(first: $first) {
      totalCount
      edges { node { ...MemoryFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export async function fetchMemoryPage(): Promise<MemoryPageData> {
  return dataOf(await client.query(MEMORY_PAGE_QUERY, { first: MEMORY_PAGE_SIZE }));
}

export const UPDATE_MEMORY_SETTINGS = graphql(`
  mutation UpdateMemorySettings($enabled: Boolean) {
    updateMemorySettings(input: { enabled: $enabled }) { enabled embeddingModel maxTextLength }
  }
`);

export const CREATE_MEMORY = graphql(`
  mutation CreateMemory($text: String!) {
    createMemory(text: $text) { ...MemoryFields }
  }
`);

export const UPDATE_MEMORY = graphql(`
  mutation UpdateMemory($id: ID!, $text: String!) {
    updateMemory(id: $id, text: $text) { ...MemoryFields }
  }
`);

export const DELETE_MEMORY = graphql(`
  mutation DeleteMemory($id: ID!) {
    deleteMemory(id: $id)
  }
`);

export const FORGET_ALL_MEMORIES = graphql(`
  mutation ForgetAllMemories {
    forgetAllMemories
  }
`);
