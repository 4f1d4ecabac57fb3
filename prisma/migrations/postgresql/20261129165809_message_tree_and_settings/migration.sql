-- AlterTable
ALTER TABLE "User" ADD COLUMN     "defaultModelId" TEXT,
ADD COLUMN     "theme" TEXT NOT NULL DEFAULT 'SYSTEM';

-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "currentLeafId" TEXT;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "parentId" TEXT;

-- CreateIndex
CREATE INDEX "Message_parentId_idx" ON "Message"("parentId");


-- Existing chats become linear chains: each message follows the one before it, and the
-- newest message is the chat's current leaf.
UPDATE "Message" AS "m" SET "parentId" = "o"."prev" FROM (SELECT "id", LAG("id") OVER (PARTITION BY "chatId" ORDER BY "createdAt", "id") AS "prev" FROM "Message") AS "o" WHERE "o"."id" = "m"."id" AND "o"."prev" IS NOT NULL;
UPDATE "Chat" SET "currentLeafId" = (SELECT "m"."id" FROM "Message" AS "m" WHERE "m"."chatId" = "Chat"."id" ORDER BY "m"."createdAt" DESC, "m"."id" DESC LIMIT 1);
