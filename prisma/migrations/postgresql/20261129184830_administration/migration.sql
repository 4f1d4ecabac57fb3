-- AlterTable
ALTER TABLE "User" ADD COLUMN     "deactivatedAt" TIMESTAMP(3),
ADD COLUMN     "monthlyBudget" DECIMAL(65,30);

-- AlterTable
ALTER TABLE "AiModel" ADD COLUMN     "monthlyBudget" DECIMAL(65,30),
ADD COLUMN     "nameKey" TEXT,
ADD COLUMN     "shared" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "sharedWithAll" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "SharedModelGrant" (
    "id" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SharedModelGrant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServerSettings" (
    "id" INTEGER NOT NULL,
    "signupMode" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ServerSettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invite" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdById" TEXT,
    "note" TEXT NOT NULL DEFAULT '',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "usedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Invite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageDaily" (
    "id" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "modelName" TEXT NOT NULL,
    "source" "ChatSource" NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "cost" DECIMAL(65,30) NOT NULL DEFAULT 0,

    CONSTRAINT "UsageDaily_pkey" PRIMARY KEY ("id")
);

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

-- CreateIndex
CREATE UNIQUE INDEX "AiModel_nameKey_key" ON "AiModel"("nameKey");

-- CreateIndex
CREATE INDEX "AiModel_shared_idx" ON "AiModel"("shared");

-- AddForeignKey
ALTER TABLE "SharedModelGrant" ADD CONSTRAINT "SharedModelGrant_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "AiModel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SharedModelGrant" ADD CONSTRAINT "SharedModelGrant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invite" ADD CONSTRAINT "Invite_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Hand-written (docs/decisions/0017-administration.md).
-- Existing models get their name key (the server lowers ASCII the same way); of several with
-- one name, the oldest keeps it and the others stay without a key until renamed.
UPDATE "AiModel" SET "nameKey" = "userId" || ':' || lower(trim("name"))
WHERE NOT EXISTS (SELECT 1 FROM "AiModel" AS "o" WHERE "o"."userId" = "AiModel"."userId" AND lower(trim("o"."name")) = lower(trim("AiModel"."name"))
  AND ("o"."createdAt" < "AiModel"."createdAt" OR ("o"."createdAt" = "AiModel"."createdAt" AND "o"."id" < "AiModel"."id")));

-- A server with accounts has had its first sign-up: SIGNUP_OPEN keeps deciding until an admin chooses.
INSERT INTO "ServerSettings" ("id", "signupMode", "createdAt", "updatedAt") SELECT 1, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP WHERE EXISTS (SELECT 1 FROM "User");
