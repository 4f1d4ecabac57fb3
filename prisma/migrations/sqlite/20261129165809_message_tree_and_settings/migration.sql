-- Written from Prisma's diff, with the User columns added in place (Prisma rebuilt the
-- table for them; SQLite can add a NOT NULL column that has a default, and a rebuild inside
-- the runner's transaction would cascade-delete the user's rows elsewhere).

-- AlterTable
ALTER TABLE "Chat" ADD COLUMN "currentLeafId" TEXT;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN "parentId" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN "defaultModelId" TEXT;
ALTER TABLE "User" ADD COLUMN "theme" TEXT NOT NULL DEFAULT 'SYSTEM';

-- CreateIndex
CREATE INDEX "Message_parentId_idx" ON "Message"("parentId");

-- Existing chats become linear chains: each message follows the one before it, and the
-- newest message is the chat's current leaf.
UPDATE "Message" SET "parentId" = (SELECT "p"."id" FROM "Message" AS "p" WHERE "p"."chatId" = "Message"."chatId" AND ("p"."createdAt" < "Message"."createdAt" OR ("p"."createdAt" = "Message"."createdAt" AND "p"."id" < "Message"."id")) ORDER BY "p"."createdAt" DESC, "p"."id" DESC LIMIT 1);
UPDATE "Chat" SET "currentLeafId" = (SELECT "m"."id" FROM "Message" AS "m" WHERE "m"."chatId" = "Chat"."id" ORDER BY "m"."createdAt" DESC, "m"."id" DESC LIMIT 1);
