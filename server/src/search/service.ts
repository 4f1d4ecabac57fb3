/**
 * Full-text search over a user's chat titles and message text, backed by each database's
 * own index (migration search_index): SQLite FTS5 tables kept by triggers, PostgreSQL GIN
 * indexes on to_tsvector('simple', …), MySQL/MariaDB FULLTEXT indexes. Raw SQL cannot pass
 * the per-user fence, so this service holds the unfenced client and every query is
 * filtered by the owner's id; callers load what it finds through their fenced client.
 * See docs/decisions/0013-search.md.
 */
import type { Db } from "../db/client.ts";
import type { DatabaseProvider } from "../env.ts";
import { termsOf } from "./terms.ts";

export const MAX_SEARCH_RESULTS = 50;

export interface SearchIds {
  /** The words searched for, folded (for snippets). */
  terms: string[];
  /** Chats whose title matches, most recently changed first. */
  chatIds: string[];
  /** Messages whose text matches, with their chats, newest first. */
  messages: { messageId: string; chatId: string }[];
}

/** PostgreSQL: how many of the user's newest messages are looked through before the index is asked for all matches. */
const RECENT_WINDOW = 2000;

/** MySQL's FULLTEXT index leaves out words shorter than innodb_ft_min_token_size (3). */
const MYSQL_MIN_TERM_LENGTH = 3;

type Queries = {
  titles(userId: string, terms: string[], limit: number): Promise<{ chatId: string }[]>;
  messages(userId: string, terms: string[], limit: number): Promise<{ messageId: string; chatId: string }[]>;
};

function queriesFor(db: Db, provider: DatabaseProvider): Queries {
  switch (provider) {
    case "sqlite": {
      // Column filters keep ids and owners out of the text match; the owner is matched through the index.
      const match = (column: string, userId: string, terms: string[]) =>
        [`"userId" : "${userId.replaceAll('"', '""')}"`, ...terms.map((term, i) => `"${column}" : "${term}"${i === terms.length - 1 ? "*" : ""}`)].join(" AND ");
      return {
        titles: (userId, terms, limit) =>
          db.$queryRawUnsafe(`SELECT "chatId" FROM "ChatSearch" WHERE "ChatSearch" MATCH ? ORDER BY "rowid" DESC LIMIT ?`, match("title", userId, terms), limit),
        messages: (userId, terms, limit) =>
          db.$queryRawUnsafe(
            `SELECT "messageId", "chatId" FROM "MessageSearch" WHERE "MessageSearch" MATCH ? ORDER BY "rowid" DESC LIMIT ?`,
            match("content", userId, terms),
            limit,
          ),
      };
    }
    case "postgresql": {
      // The MessageSearch table and the title index of migration search_index.
      const tsquery = (terms: string[]) => terms.map((term, i) => (i === terms.length - 1 ? `${term}:*` : term)).join(" & ");
      return {
        titles: (userId, terms, limit) =>
          db.$queryRawUnsafe(
            `SELECT "id" AS "chatId" FROM "Chat" WHERE "userId" = $1 AND to_tsvector('simple'::regconfig, "title") @@ to_tsquery('simple'::regconfig, $2) ORDER BY "updatedAt" DESC LIMIT $3`,
            userId,
            tsquery(terms),
            limit,
          ),
        async messages(userId, terms, limit) {
          // Newest first. The owner's newest entries are read in time order first: a word in
          // many messages is found among them at once, without sorting all its matches.
          const recent = await db.$queryRawUnsafe<{ messageId: string; chatId: string }[]>(
            `SELECT "messageId", "chatId" FROM (SELECT "messageId", "chatId", "createdAt", "document" FROM "MessageSearch" WHERE "userId" = $1 ORDER BY "createdAt" DESC LIMIT ${RECENT_WINDOW}) AS "recent" WHERE "document" @@ to_tsquery('simple'::regconfig, $2) ORDER BY "createdAt" DESC LIMIT $3`,
            userId,
            tsquery(terms),
            limit,
          );
          if (recent.length >= limit) return recent;
          // Fewer in the newest messages: the word is rarer, and the GIN index finds all of them.
          return db.$queryRawUnsafe(
            `SELECT "messageId", "chatId" FROM "MessageSearch" WHERE "userId" = $1 AND "document" @@ to_tsquery('simple'::regconfig, $2) ORDER BY "createdAt" DESC LIMIT $3`,
            userId,
            tsquery(terms),
            limit,
          );
        },
      };
    }
    case "mysql": {
      const boolean = (terms: string[]) => terms.map((term, i) => `+${term}${i === terms.length - 1 ? "*" : ""}`).join(" ");
      return {
        titles: (userId, terms, limit) =>
          db.$queryRawUnsafe(
            "SELECT `id` AS `chatId` FROM `Chat` WHERE MATCH(`title`) AGAINST (? IN BOOLEAN MODE) AND `userId` = ? ORDER BY `updatedAt` DESC LIMIT ?",
            boolean(terms),
            userId,
            limit,
          ),
        messages: (userId, terms, limit) =>
          db.$queryRawUnsafe(
            "SELECT `m`.`id` AS `messageId`, `m`.`chatId` AS `chatId` FROM `Message` AS `m` JOIN `Chat` AS `c` ON `c`.`id` = `m`.`chatId` WHERE MATCH(`m`.`content`) AGAINST (? IN BOOLEAN MODE) AND `c`.`userId` = ? AND `m`.`status` <> 'STREAMING' ORDER BY `m`.`createdAt` DESC LIMIT ?",
            boolean(terms),
            userId,
            limit,
          ),
      };
    }
  }
}

export type Search = ReturnType<typeof createSearch>;

/** Built once at start with the unfenced client (app.ts createServices). */
export function createSearch(rootDb: Db, provider: DatabaseProvider) {
  const queries = queriesFor(rootDb, provider);
  return {
    /**
     * The owner's chats and messages that contain every word of `query`: whole words, except
     * the last, which may be the start of one (the user may still be typing it).
     */
    async find(ownerId: string, query: string, limit: number): Promise<SearchIds> {
      // SQLite's index folds accents (remove_diacritics), MySQL's collation ignores them; PostgreSQL's 'simple' keeps them.
      let terms = termsOf(query, provider === "postgresql");
      if (provider === "mysql") terms = terms.filter((term) => term.length >= MYSQL_MIN_TERM_LENGTH);
      if (terms.length === 0 || limit <= 0) return { terms, chatIds: [], messages: [] };
      const [titles, messages] = await Promise.all([queries.titles(ownerId, terms, limit), queries.messages(ownerId, terms, limit)]);
      return { terms, chatIds: titles.map((row) => String(row.chatId)), messages: messages.map((row) => ({ messageId: String(row.messageId), chatId: String(row.chatId) })) };
    },
  };
}
