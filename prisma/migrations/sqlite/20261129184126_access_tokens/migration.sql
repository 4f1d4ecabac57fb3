-- AlterTable
ALTER TABLE "Chat" ADD COLUMN "apiThreadKey" TEXT;

-- CreateTable
CREATE TABLE "AccessToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "lastUsedAt" DATETIME,
    "lastUsedAddress" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AccessToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "AccessToken_tokenHash_key" ON "AccessToken"("tokenHash");

-- CreateIndex
CREATE INDEX "AccessToken_userId_idx" ON "AccessToken"("userId");

-- CreateIndex
CREATE INDEX "Chat_userId_apiThreadKey_idx" ON "Chat"("userId", "apiThreadKey");

-- Written by hand: every glasses token becomes an access token with the glasses scope,
-- same id, same hash (the glasses keep working with the secret they have), before its table goes.
INSERT INTO "AccessToken" ("id", "userId", "name", "tokenHash", "prefix", "scopes", "lastUsedAt", "createdAt")
SELECT "id", "userId", "name", "tokenHash", "prefix", 'glasses', "lastUsedAt", "createdAt" FROM "GlassesToken";

-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "GlassesToken";
PRAGMA foreign_keys=on;
