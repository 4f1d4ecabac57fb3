-- Full-text search over message text and chat titles (server/src/search/). Not in the Prisma
-- schema (Prisma has no tsvector columns or GIN indexes to declare portably).
--
-- Messages: a side table with each message's owner, time and tsvector, kept by triggers, with
-- a GIN index on the tsvector and an index on (owner, time): a search reads the owner's newest
-- entries first, so a word found in most messages does not mean sorting all of them, and the
-- tsvector is stored, not recomputed. The 'simple' configuration does not stem: chats are in
-- any language. Text past 100,000 characters is not indexed (a tsvector holds at most 1 MB).
-- Replies are indexed once they stop STREAMING, so checkpoints do not touch the index.
-- Each function stays on one line: the migration runner splits statements at line ends.

CREATE TABLE "MessageSearch" ("messageId" TEXT NOT NULL PRIMARY KEY, "chatId" TEXT NOT NULL, "userId" TEXT NOT NULL, "createdAt" TIMESTAMP(3) NOT NULL, "document" tsvector NOT NULL);
CREATE INDEX "MessageSearch_document_idx" ON "MessageSearch" USING GIN ("document");
CREATE INDEX "MessageSearch_userId_createdAt_idx" ON "MessageSearch" ("userId", "createdAt");

CREATE FUNCTION "aiui_index_message"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> 'INSERT' THEN DELETE FROM "MessageSearch" WHERE "messageId" = OLD."id"; END IF; IF TG_OP <> 'DELETE' AND NEW."status" <> 'STREAMING' AND NEW."content" <> '' THEN INSERT INTO "MessageSearch" ("messageId", "chatId", "userId", "createdAt", "document") SELECT NEW."id", NEW."chatId", "c"."userId", NEW."createdAt", to_tsvector('simple'::regconfig, left(NEW."content", 100000)) FROM "Chat" AS "c" WHERE "c"."id" = NEW."chatId"; END IF; RETURN NULL; END $$;
CREATE TRIGGER "Message_search_insert_delete" AFTER INSERT OR DELETE ON "Message" FOR EACH ROW EXECUTE FUNCTION "aiui_index_message"();
CREATE TRIGGER "Message_search_update" AFTER UPDATE OF "content", "status" ON "Message" FOR EACH ROW WHEN (OLD."status" <> 'STREAMING' OR NEW."status" <> 'STREAMING') EXECUTE FUNCTION "aiui_index_message"();

-- What is there already.
INSERT INTO "MessageSearch" ("messageId", "chatId", "userId", "createdAt", "document") SELECT "m"."id", "m"."chatId", "c"."userId", "m"."createdAt", to_tsvector('simple'::regconfig, left("m"."content", 100000)) FROM "Message" AS "m" JOIN "Chat" AS "c" ON "c"."id" = "m"."chatId" WHERE "m"."status" <> 'STREAMING' AND "m"."content" <> '';

-- Chat titles: few rows, an index on the expression is enough.
CREATE INDEX "Chat_title_search_idx" ON "Chat" USING GIN (to_tsvector('simple'::regconfig, "title"));
