/**
 * Full-text search over one user's memories, in each database's own index (created by
 * the memory migration): SQLite FTS5 (the MemorySearch table, kept in step by triggers),
 * PostgreSQL's GIN index on to_tsvector('simple', text), MySQL's FULLTEXT index.
 *
 * Raw SQL, so it runs on the unfenced client (the fence refuses raw SQL): every
 * statement here names the user in its own condition. The query is built from the
 * request's content words only (words.ts), each matched as a word prefix and any of them
 * enough, ranked by the database's relevance; the same words on every database, so
 * results agree across them as far as their indexes do.
 */
import type { Db } from "../db/client.ts";
import type { DatabaseProvider } from "../env.ts";
import { contentWords } from "./words.ts";

/** A longer request would only add noise (and cost) to the query. */
const MAX_QUERY_WORDS = 16;

export interface FoundMemory {
  id: string;
  text: string;
}

export type MemorySearch = (userId: string, text: string, limit: number) => Promise<FoundMemory[]>;

/** Query words: letters and digits only, so nothing in them is query syntax on any database. */
export function queryWords(text: string): string[] {
  return contentWords(text).slice(0, MAX_QUERY_WORDS);
}

export function fullTextSearch(db: Db, provider: DatabaseProvider): MemorySearch {
  return async (userId, text, limit) => {
    const words = queryWords(text);
    if (words.length === 0) return [];
    const take = Math.max(1, Math.floor(limit));
    switch (provider) {
      case "sqlite": {
        // The user's id is an indexed column of MemorySearch: the match itself is per user.
        const match = `user_id : "${userId.replace(/"/g, '""')}" AND content : (${words.map((w) => `"${w}"*`).join(" OR ")})`;
        return db.$queryRawUnsafe<FoundMemory[]>(
          `SELECT m."id", m."text" FROM "MemorySearch" s JOIN "Memory" m ON m."id" = s.memory_id
           WHERE "MemorySearch" MATCH ? AND m."userId" = ?
           ORDER BY bm25("MemorySearch", 1.0, 0.0, 0.0), m."updatedAt" DESC LIMIT ${take}`,
          match,
          userId,
        );
      }
      case "postgresql": {
        const query = words.map((w) => `${w}:*`).join(" | ");
        return db.$queryRawUnsafe<FoundMemory[]>(
          `SELECT "id", "text" FROM "Memory"
           WHERE "userId" = $1 AND to_tsvector('simple', "text") @@ to_tsquery('simple', $2)
           ORDER BY ts_rank(to_tsvector('simple', "text"), to_tsquery('simple', $2)) DESC, "updatedAt" DESC LIMIT ${take}`,
          userId,
          query,
        );
      }
      case "mysql": {
        // Boolean mode: "word*" is a prefix match, and without +/- any word is enough.
        const query = words.map((w) => `${w}*`).join(" ");
        return db.$queryRawUnsafe<FoundMemory[]>(
          `SELECT \`id\`, \`text\` FROM \`Memory\`
           WHERE \`userId\` = ? AND MATCH(\`text\`) AGAINST (? IN BOOLEAN MODE)
           ORDER BY MATCH(\`text\`) AGAINST (? IN BOOLEAN MODE) DESC, \`updatedAt\` DESC LIMIT ${take}`,
          userId,
          query,
          query,
        );
      }
    }
  };
}
