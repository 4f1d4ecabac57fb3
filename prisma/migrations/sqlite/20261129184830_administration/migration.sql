-- Written from Prisma's diff, with the AiModel columns added in place (Prisma rebuilt the table).
-- Hand-written at the end: the name keys of existing models, and the server settings row of
-- a server that already has accounts (docs/decisions/0017-administration.md).

-- AlterTable
ALTER TABLE "User" ADD COLUMN "deactivatedAt" DATETIME;
ALTER TABLE "User" ADD COLUMN "monthlyBudget" DECIMAL;

-- CreateTable
CREATE TABLE "SharedModelGrant" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SharedModelGrant_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "AiModel" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "SharedModelGrant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ServerSettings" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "signupMode" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Invite" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenHash" TEXT NOT NULL,
    "createdById" TEXT,
    "note" TEXT NOT NULL DEFAULT '',
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "usedById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Invite_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "UsageDaily" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "day" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "modelName" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "cost" DECIMAL NOT NULL DEFAULT 0
);

-- AlterTable (in place: a rebuild inside the runner's transaction would cascade to chats and settings)
ALTER TABLE "AiModel" ADD COLUMN "shared" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "AiModel" ADD COLUMN "sharedWithAll" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "AiModel" ADD COLUMN "monthlyBudget" DECIMAL;
ALTER TABLE "AiModel" ADD COLUMN "nameKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "AiModel_nameKey_key" ON "AiModel"("nameKey");
CREATE INDEX "AiModel_shared_idx" ON "AiModel"("shared");

-- CreateIndex
CREATE INDEX "SharedModelGrant_userId_idx" ON "SharedModelGrant"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "SharedModelGrant_modelId_userId_key" ON "SharedModelGrant"("modelId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "Invite_tokenHash_key" ON "Invite"("tokenHash");

-- CreateIndex
CREATE INDEX "Invite_createdAt_idx" ON "Invite"("createdAt");

-- CreateIndex
CREATE INDEX "UsageDaily_day_idx" ON "UsageDaily"("day");

-- CreateIndex
CREATE INDEX "UsageDaily_modelId_day_idx" ON "UsageDaily"("modelId", "day");

-- CreateIndex
CREATE UNIQUE INDEX "UsageDaily_userId_day_modelId_source_key" ON "UsageDaily"("userId", "day", "modelId", "source");


-- Existing models get their name key (the server lowers ASCII the same way); of several with
-- one name, the oldest keeps it and the others stay without a key until renamed.
UPDATE "AiModel" SET "nameKey" = "userId" || ':' || lower(trim("name"))
WHERE NOT EXISTS (SELECT 1 FROM "AiModel" AS "o" WHERE "o"."userId" = "AiModel"."userId" AND lower(trim("o"."name")) = lower(trim("AiModel"."name"))
  AND ("o"."createdAt" < "AiModel"."createdAt" OR ("o"."createdAt" = "AiModel"."createdAt" AND "o"."id" < "AiModel"."id")));

-- A server with accounts has had its first sign-up: SIGNUP_OPEN keeps deciding until an admin chooses.
INSERT INTO "ServerSettings" ("id", "signupMode", "createdAt", "updatedAt") SELECT 1, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP WHERE EXISTS (SELECT 1 FROM "User");
