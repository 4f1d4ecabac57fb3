-- Full-text search over message text and chat titles (server/src/search/): FTS5 tables
-- kept in step by triggers. Not in the Prisma schema (Prisma has no FTS5 tables).
-- The owner's id is an indexed column, so a search only walks that user's postings;
-- ids are indexed columns too, so a changed or deleted row is found through the index.
-- Replies are indexed once they stop STREAMING (checkpoints do not touch the index).
-- Each trigger stays on one line: the migration runner splits statements at line ends.

CREATE VIRTUAL TABLE "MessageSearch" USING fts5("content", "messageId", "chatId" UNINDEXED, "userId", prefix = '2 3', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE "ChatSearch" USING fts5("title", "chatId", "userId", prefix = '2 3', tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER "Message_search_insert" AFTER INSERT ON "Message" WHEN NEW."status" <> 'STREAMING' AND NEW."content" <> '' BEGIN INSERT INTO "MessageSearch" ("content", "messageId", "chatId", "userId") SELECT NEW."content", NEW."id", NEW."chatId", "c"."userId" FROM "Chat" AS "c" WHERE "c"."id" = NEW."chatId"; END;
CREATE TRIGGER "Message_search_update" AFTER UPDATE OF "content", "status" ON "Message" WHEN OLD."status" <> 'STREAMING' OR NEW."status" <> 'STREAMING' BEGIN DELETE FROM "MessageSearch" WHERE "MessageSearch" MATCH '"messageId" : "' || OLD."id" || '"'; INSERT INTO "MessageSearch" ("content", "messageId", "chatId", "userId") SELECT NEW."content", NEW."id", NEW."chatId", "c"."userId" FROM "Chat" AS "c" WHERE "c"."id" = NEW."chatId" AND NEW."status" <> 'STREAMING' AND NEW."content" <> ''; END;
CREATE TRIGGER "Message_search_delete" AFTER DELETE ON "Message" WHEN OLD."status" <> 'STREAMING' BEGIN DELETE FROM "MessageSearch" WHERE "MessageSearch" MATCH '"messageId" : "' || OLD."id" || '"'; END;

CREATE TRIGGER "Chat_search_insert" AFTER INSERT ON "Chat" BEGIN INSERT INTO "ChatSearch" ("title", "chatId", "userId") VALUES (NEW."title", NEW."id", NEW."userId"); END;
CREATE TRIGGER "Chat_search_update" AFTER UPDATE OF "title" ON "Chat" BEGIN DELETE FROM "ChatSearch" WHERE "ChatSearch" MATCH '"chatId" : "' || OLD."id" || '"'; INSERT INTO "ChatSearch" ("title", "chatId", "userId") VALUES (NEW."title", NEW."id", NEW."userId"); END;
CREATE TRIGGER "Chat_search_delete" AFTER DELETE ON "Chat" BEGIN DELETE FROM "ChatSearch" WHERE "ChatSearch" MATCH '"chatId" : "' || OLD."id" || '"'; END;

-- What is there already.
INSERT INTO "MessageSearch" ("content", "messageId", "chatId", "userId") SELECT "m"."content", "m"."id", "m"."chatId", "c"."userId" FROM "Message" AS "m" JOIN "Chat" AS "c" ON "c"."id" = "m"."chatId" WHERE "m"."status" <> 'STREAMING' AND "m"."content" <> '';
INSERT INTO "ChatSearch" ("title", "chatId", "userId") SELECT "title", "id", "userId" FROM "Chat";
