-- Written by hand, mirroring the PostgreSQL migration (decision 0001).

-- AlterTable
ALTER TABLE `User` ADD COLUMN `defaultModelId` VARCHAR(191) NULL, ADD COLUMN `theme` VARCHAR(191) NOT NULL DEFAULT 'SYSTEM';

-- AlterTable
ALTER TABLE `Chat` ADD COLUMN `currentLeafId` VARCHAR(191) NULL;

-- AlterTable
ALTER TABLE `Message` ADD COLUMN `parentId` VARCHAR(191) NULL;

-- CreateIndex
CREATE INDEX `Message_parentId_idx` ON `Message`(`parentId`);

-- Existing chats become linear chains: each message follows the one before it, and the
-- newest message is the chat's current leaf. (MySQL cannot read the table an UPDATE
-- changes in a subquery; the window function's derived table is read first.)
UPDATE `Message` AS `m` JOIN (SELECT `id`, LAG(`id`) OVER (PARTITION BY `chatId` ORDER BY `createdAt`, `id`) AS `prev` FROM `Message`) AS `o` ON `o`.`id` = `m`.`id` SET `m`.`parentId` = `o`.`prev`;
UPDATE `Chat` SET `currentLeafId` = (SELECT `m`.`id` FROM `Message` AS `m` WHERE `m`.`chatId` = `Chat`.`id` ORDER BY `m`.`createdAt` DESC, `m`.`id` DESC LIMIT 1);
