-- AlterTable
ALTER TABLE "User" ADD COLUMN     "memoryEnabled" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "Memory" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "sourceMessageId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lastUsedAt" TIMESTAMP(3),
    "embedding" BYTEA,
    "embeddingModel" TEXT,

    CONSTRAINT "Memory_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Memory_userId_updatedAt_idx" ON "Memory"("userId", "updatedAt");

-- CreateIndex
CREATE INDEX "Memory_sourceMessageId_idx" ON "Memory"("sourceMessageId");

-- AddForeignKey
ALTER TABLE "Memory" ADD CONSTRAINT "Memory_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Memory" ADD CONSTRAINT "Memory_sourceMessageId_fkey" FOREIGN KEY ("sourceMessageId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Full-text search (written by hand; Prisma does not model it; see server/src/memory/search.ts).
-- 'simple': no language's stemming or stop words (memories come in any language); the
-- server drops common words and matches word prefixes itself, alike on every database.
CREATE INDEX "Memory_text_search_idx" ON "Memory" USING GIN (to_tsvector('simple', "text"));
