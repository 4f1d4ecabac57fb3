-- CreateTable
CREATE TABLE "Attachment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "messageId" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "data" BLOB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Attachment_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "GlassesToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "lastUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GlassesToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "GlassesSettings" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "modelId" TEXT,
    "imageModelId" TEXT,
    "persona" TEXT NOT NULL DEFAULT '',
    "temperature" REAL,
    "maxTokens" INTEGER,
    "language" TEXT NOT NULL DEFAULT '',
    "spokenAnswers" BOOLEAN NOT NULL DEFAULT false,
    "topicStrategy" TEXT NOT NULL DEFAULT 'NEVER',
    "currentChatId" TEXT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "GlassesSettings_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "GlassesSettings_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "AiModel" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "GlassesSettings_imageModelId_fkey" FOREIGN KEY ("imageModelId") REFERENCES "AiModel" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "GlassesSettings_currentChatId_fkey" FOREIGN KEY ("currentChatId") REFERENCES "Chat" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Attachment_messageId_idx" ON "Attachment"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "GlassesToken_tokenHash_key" ON "GlassesToken"("tokenHash");

-- CreateIndex
CREATE INDEX "GlassesToken_userId_idx" ON "GlassesToken"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "GlassesSettings_userId_key" ON "GlassesSettings"("userId");

-- CreateIndex
CREATE INDEX "GlassesSettings_modelId_idx" ON "GlassesSettings"("modelId");

-- CreateIndex
CREATE INDEX "GlassesSettings_imageModelId_idx" ON "GlassesSettings"("imageModelId");

-- CreateIndex
CREATE INDEX "GlassesSettings_currentChatId_idx" ON "GlassesSettings"("currentChatId");

