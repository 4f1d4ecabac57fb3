-- AlterTable
ALTER TABLE "AiModel" ADD COLUMN     "contextWindow" INTEGER;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "checkpointAt" TIMESTAMP(3),
ADD COLUMN     "firstTokenMs" INTEGER,
ADD COLUMN     "usageEstimated" BOOLEAN NOT NULL DEFAULT false;

