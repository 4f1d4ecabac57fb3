-- Written by hand: Prisma's offline schema engine cannot diff MySQL. Mirrors the
-- PostgreSQL migration of the same name; tests/db/schema-matches.test.ts checks it.

-- CreateTable
CREATE TABLE `Attachment` (
    `id` VARCHAR(191) NOT NULL,
    `messageId` VARCHAR(191) NOT NULL,
    `mimeType` VARCHAR(191) NOT NULL,
    `byteSize` INTEGER NOT NULL,
    `data` LONGBLOB NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `Attachment_messageId_idx`(`messageId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `GlassesToken` (
    `id` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `name` VARCHAR(191) NOT NULL,
    `tokenHash` VARCHAR(191) NOT NULL,
    `prefix` VARCHAR(191) NOT NULL,
    `lastUsedAt` DATETIME(3) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `GlassesToken_tokenHash_key`(`tokenHash`),
    INDEX `GlassesToken_userId_idx`(`userId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `GlassesSettings` (
    `id` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `modelId` VARCHAR(191) NULL,
    `imageModelId` VARCHAR(191) NULL,
    `persona` TEXT NOT NULL DEFAULT (''),
    `temperature` DOUBLE NULL,
    `maxTokens` INTEGER NULL,
    `language` VARCHAR(191) NOT NULL DEFAULT '',
    `spokenAnswers` BOOLEAN NOT NULL DEFAULT false,
    `topicStrategy` VARCHAR(191) NOT NULL DEFAULT 'NEVER',
    `currentChatId` VARCHAR(191) NULL,
    `updatedAt` DATETIME(3) NOT NULL,

    UNIQUE INDEX `GlassesSettings_userId_key`(`userId`),
    INDEX `GlassesSettings_modelId_idx`(`modelId`),
    INDEX `GlassesSettings_imageModelId_idx`(`imageModelId`),
    INDEX `GlassesSettings_currentChatId_idx`(`currentChatId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `Attachment` ADD CONSTRAINT `Attachment_messageId_fkey` FOREIGN KEY (`messageId`) REFERENCES `Message`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `GlassesToken` ADD CONSTRAINT `GlassesToken_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `GlassesSettings` ADD CONSTRAINT `GlassesSettings_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `GlassesSettings` ADD CONSTRAINT `GlassesSettings_modelId_fkey` FOREIGN KEY (`modelId`) REFERENCES `AiModel`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `GlassesSettings` ADD CONSTRAINT `GlassesSettings_imageModelId_fkey` FOREIGN KEY (`imageModelId`) REFERENCES `AiModel`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `GlassesSettings` ADD CONSTRAINT `GlassesSettings_currentChatId_fkey` FOREIGN KEY (`currentChatId`) REFERENCES `Chat`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;
