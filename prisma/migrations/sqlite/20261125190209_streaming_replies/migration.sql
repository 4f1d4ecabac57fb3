-- Edited by hand: Prisma's diff rebuilt the Message table (CREATE new_Message, copy,
-- DROP TABLE "Message"). Our runner applies a migration inside a transaction, where
-- SQLite ignores PRAGMA foreign_keys=OFF, so that DROP TABLE cascaded into Attachment
-- and deleted every attachment. Plain ADD COLUMN gives the same columns without a rebuild.

-- AlterTable
ALTER TABLE "AiModel" ADD COLUMN "contextWindow" INTEGER;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN "usageEstimated" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN "firstTokenMs" INTEGER;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN "checkpointAt" DATETIME;
