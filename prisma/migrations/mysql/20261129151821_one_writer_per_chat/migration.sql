-- Written by hand: Prisma's offline schema engine cannot diff MySQL. Mirrors the
-- PostgreSQL migration of the same name; tests/db/schema-matches.test.ts checks it
-- against the Prisma schema on MariaDB. InnoDB, like the other two, lets a unique index
-- hold any number of NULLs: only replies being written carry a streamingChatId.

-- AlterTable
ALTER TABLE `Chat` ADD COLUMN `titleSetByUser` BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE `Message` ADD COLUMN `streamingChatId` VARCHAR(191) NULL;

-- CreateIndex
CREATE UNIQUE INDEX `Message_streamingChatId_key` ON `Message`(`streamingChatId`);
