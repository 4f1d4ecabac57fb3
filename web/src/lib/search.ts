/** Search over the user's chats (Ctrl+K): titles and message text, newest first. */
import { graphql } from "./gql/index.ts";
import type { SearchQuery } from "./gql/graphql.ts";
import { client, dataOf } from "./graphql.ts";

const SEARCH = graphql(`
  query Search($query: String!, $first: Int) {
    search(query: $query, first: $first) {
      chat { id title source }
      message { id role createdAt }
      snippet
      highlights { start end }
    }
  }
`);

export type SearchHit = SearchQuery["search"][number];

export async function searchChats(query: string): Promise<SearchHit[]> {
  return dataOf(await client.query(SEARCH, { query, first: 20 })).search;
}

/** The snippet cut at its highlights: parts to show, marked or not (rendered as text, never HTML). */
export function snippetParts(hit: Pick<SearchHit, "snippet" | "highlights">): { text: string; marked: boolean }[] {
  const parts: { text: string; marked: boolean }[] = [];
  let at = 0;
  for (const { start, end } of hit.highlights) {
    if (start < at || end > hit.snippet.length) continue;
    if (start > at) parts.push({ text: hit.snippet.slice(at, start), marked: false });
    parts.push({ text: hit.snippet.slice(start, end), marked: true });
    at = end;
  }
  if (at < hit.snippet.length) parts.push({ text: hit.snippet.slice(at), marked: false });
  return parts;
}
