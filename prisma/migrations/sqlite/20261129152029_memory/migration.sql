-- Edited by hand (like streaming_replies): Prisma's diff rebuilt the User table to add
-- memoryEnabled; a plain ADD COLUMN gives the same column without a rebuild.

-- AlterTable
ALTER TABLE "User" ADD COLUMN "memoryEnabled" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "Memory" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "sourceMessageId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "lastUsedAt" DATETIME,
    "embedding" BLOB,
    "embeddingModel" TEXT,
    CONSTRAINT "Memory_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Memory_sourceMessageId_fkey" FOREIGN KEY ("sourceMessageId") REFERENCES "Message" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Memory_userId_updatedAt_idx" ON "Memory"("userId", "updatedAt");

-- CreateIndex
CREATE INDEX "Memory_sourceMessageId_idx" ON "Memory"("sourceMessageId");

-- Full-text search (written by hand; Prisma does not model it; see server/src/memory/search.ts).
-- An FTS5 table of its own rather than external content: Memory's rowid is implicit and
-- VACUUM may renumber it. memory_id and user_id are indexed tokens (cuids are one token
-- each), so a search is restricted to one user, and a row is found for delete, by the
-- index. Trigger bodies keep their inner semicolons off line ends (migrate.ts splits there).
CREATE VIRTUAL TABLE "MemorySearch" USING fts5(content, memory_id, user_id, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER "Memory_search_insert" AFTER INSERT ON "Memory" BEGIN
  INSERT INTO "MemorySearch" (content, memory_id, user_id) VALUES (new."text", new."id", new."userId"); END;

CREATE TRIGGER "Memory_search_update" AFTER UPDATE OF "text" ON "Memory" BEGIN
  DELETE FROM "MemorySearch" WHERE rowid IN (SELECT rowid FROM "MemorySearch" WHERE "MemorySearch" MATCH 'memory_id : "' || old."id" || '"'); INSERT INTO "MemorySearch" (content, memory_id, user_id) VALUES (new."text", new."id", new."userId"); END;

CREATE TRIGGER "Memory_search_delete" AFTER DELETE ON "Memory" BEGIN
  DELETE FROM "MemorySearch" WHERE rowid IN (SELECT rowid FROM "MemorySearch" WHERE "MemorySearch" MATCH 'memory_id : "' || old."id" || '"'); END;
