-- Edited by hand: Prisma's diff rebuilt the Chat table (CREATE new_Chat, copy, DROP TABLE
-- "Chat"). Our runner applies a migration inside a transaction, where SQLite ignores
-- PRAGMA foreign_keys=OFF, so that DROP TABLE would cascade into Message and delete every
-- message. Plain ADD COLUMN gives the same columns without a rebuild.

-- AlterTable
ALTER TABLE "Chat" ADD COLUMN "titleSetByUser" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN "streamingChatId" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Message_streamingChatId_key" ON "Message"("streamingChatId");
