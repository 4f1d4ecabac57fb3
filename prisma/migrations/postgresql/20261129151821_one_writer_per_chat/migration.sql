-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "titleSetByUser" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "streamingChatId" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Message_streamingChatId_key" ON "Message"("streamingChatId");

