-- Written by hand, mirroring the PostgreSQL migration (decision 0001).

-- AlterTable
ALTER TABLE `User` ADD COLUMN `deactivatedAt` DATETIME(3) NULL, ADD COLUMN `monthlyBudget` DECIMAL(65, 30) NULL;

-- AlterTable
ALTER TABLE `AiModel` ADD COLUMN `monthlyBudget` DECIMAL(65, 30) NULL,
    ADD COLUMN `nameKey` VARCHAR(191) NULL,
    ADD COLUMN `shared` BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN `sharedWithAll` BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE `SharedModelGrant` (
    `id` VARCHAR(191) NOT NULL,
    `modelId` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `SharedModelGrant_userId_idx`(`userId`),
    UNIQUE INDEX `SharedModelGrant_modelId_userId_key`(`modelId`, `userId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `ServerSettings` (
    `id` INTEGER NOT NULL,
    `signupMode` VARCHAR(191) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `Invite` (
    `id` VARCHAR(191) NOT NULL,
    `tokenHash` VARCHAR(191) NOT NULL,
    `createdById` VARCHAR(191) NULL,
    `note` VARCHAR(191) NOT NULL DEFAULT '',
    `expiresAt` DATETIME(3) NOT NULL,
    `usedAt` DATETIME(3) NULL,
    `usedById` VARCHAR(191) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `Invite_tokenHash_key`(`tokenHash`),
    INDEX `Invite_createdAt_idx`(`createdAt`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `UsageDaily` (
    `id` VARCHAR(191) NOT NULL,
    `day` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `modelId` VARCHAR(191) NOT NULL,
    `modelName` VARCHAR(191) NOT NULL,
    `source` ENUM('WEB', 'API', 'GLASSES') NOT NULL,
    `requests` INTEGER NOT NULL DEFAULT 0,
    `promptTokens` INTEGER NOT NULL DEFAULT 0,
    `completionTokens` INTEGER NOT NULL DEFAULT 0,
    `cost` DECIMAL(65, 30) NOT NULL DEFAULT 0,

    INDEX `UsageDaily_day_idx`(`day`),
    INDEX `UsageDaily_modelId_day_idx`(`modelId`, `day`),
    UNIQUE INDEX `UsageDaily_userId_day_modelId_source_key`(`userId`, `day`, `modelId`, `source`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateIndex
CREATE UNIQUE INDEX `AiModel_nameKey_key` ON `AiModel`(`nameKey`);

-- CreateIndex
CREATE INDEX `AiModel_shared_idx` ON `AiModel`(`shared`);

-- AddForeignKey
ALTER TABLE `SharedModelGrant` ADD CONSTRAINT `SharedModelGrant_modelId_fkey` FOREIGN KEY (`modelId`) REFERENCES `AiModel`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `SharedModelGrant` ADD CONSTRAINT `SharedModelGrant_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `Invite` ADD CONSTRAINT `Invite_createdById_fkey` FOREIGN KEY (`createdById`) REFERENCES `User`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written (docs/decisions/0017-administration.md).
-- Existing models get their name key (the server lowers ASCII the same way); of several with
-- one name, the oldest keeps it and the others stay without a key until renamed. (MySQL cannot
-- read the table an UPDATE changes in a subquery; the derived table is read first.)
UPDATE `AiModel` AS `m` JOIN (
  SELECT `a`.`id` FROM `AiModel` AS `a` WHERE NOT EXISTS (SELECT 1 FROM `AiModel` AS `o` WHERE `o`.`userId` = `a`.`userId` AND LOWER(TRIM(`o`.`name`)) = LOWER(TRIM(`a`.`name`))
    AND (`o`.`createdAt` < `a`.`createdAt` OR (`o`.`createdAt` = `a`.`createdAt` AND `o`.`id` < `a`.`id`)))
) AS `firsts` ON `firsts`.`id` = `m`.`id`
SET `m`.`nameKey` = CONCAT(`m`.`userId`, ':', LOWER(TRIM(`m`.`name`)));

-- A server with accounts has had its first sign-up: SIGNUP_OPEN keeps deciding until an admin chooses.
INSERT INTO `ServerSettings` (`id`, `signupMode`, `createdAt`, `updatedAt`) SELECT 1, NULL, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3) FROM DUAL WHERE EXISTS (SELECT 1 FROM `User`);
