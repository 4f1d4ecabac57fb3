-- CreateTable
CREATE TABLE "Attachment" (
    "id" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Attachment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GlassesToken" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "lastUsedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GlassesToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GlassesSettings" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "modelId" TEXT,
    "imageModelId" TEXT,
    "persona" TEXT NOT NULL DEFAULT '',
    "temperature" DOUBLE PRECISION,
    "maxTokens" INTEGER,
    "language" TEXT NOT NULL DEFAULT '',
    "spokenAnswers" BOOLEAN NOT NULL DEFAULT false,
    "topicStrategy" TEXT NOT NULL DEFAULT 'NEVER',
    "currentChatId" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GlassesSettings_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GlassesToken" ADD CONSTRAINT "GlassesToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GlassesSettings" ADD CONSTRAINT "GlassesSettings_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GlassesSettings" ADD CONSTRAINT "GlassesSettings_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "AiModel"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GlassesSettings" ADD CONSTRAINT "GlassesSettings_imageModelId_fkey" FOREIGN KEY ("imageModelId") REFERENCES "AiModel"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GlassesSettings" ADD CONSTRAINT "GlassesSettings_currentChatId_fkey" FOREIGN KEY ("currentChatId") REFERENCES "Chat"("id") ON DELETE SET NULL ON UPDATE CASCADE;

