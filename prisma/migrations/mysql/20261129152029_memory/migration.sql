-- Written by hand: Prisma's offline schema engine cannot diff MySQL. Mirrors the
-- PostgreSQL migration of the same name; tests/db/schema-matches.test.ts checks it.

-- AlterTable
ALTER TABLE `User` ADD COLUMN `memoryEnabled` BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE `Memory` (
    `id` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `text` TEXT NOT NULL,
    `sourceMessageId` VARCHAR(191) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,
    `lastUsedAt` DATETIME(3) NULL,
    `embedding` LONGBLOB NULL,
    `embeddingModel` VARCHAR(191) NULL,

    INDEX `Memory_userId_updatedAt_idx`(`userId`, `updatedAt`),
    INDEX `Memory_sourceMessageId_idx`(`sourceMessageId`),
    -- Full-text search (see server/src/memory/search.ts); created with the table, so
    -- InnoDB needs no rebuild for its hidden FTS_DOC_ID column.
    FULLTEXT INDEX `Memory_text_search_idx`(`text`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `Memory` ADD CONSTRAINT `Memory_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `Memory` ADD CONSTRAINT `Memory_sourceMessageId_fkey` FOREIGN KEY (`sourceMessageId`) REFERENCES `Message`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;
