-- AlterTable
ALTER TABLE "AiModel" ADD COLUMN "contextWindow" INTEGER;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Message" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "chatId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'COMPLETE',
    "error" TEXT,
    "promptTokens" INTEGER,
    "completionTokens" INTEGER,
    "cost" DECIMAL,
    "latencyMs" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usageEstimated" BOOLEAN NOT NULL DEFAULT false,
    "firstTokenMs" INTEGER,
    "checkpointAt" DATETIME,
    CONSTRAINT "Message_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Message" ("chatId", "completionTokens", "content", "cost", "createdAt", "error", "id", "latencyMs", "promptTokens", "role", "status") SELECT "chatId", "completionTokens", "content", "cost", "createdAt", "error", "id", "latencyMs", "promptTokens", "role", "status" FROM "Message";
DROP TABLE "Message";
ALTER TABLE "new_Message" RENAME TO "Message";
CREATE INDEX "Message_chatId_createdAt_id_idx" ON "Message"("chatId", "createdAt", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

