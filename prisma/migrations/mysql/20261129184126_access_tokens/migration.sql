-- Written by hand, mirroring the PostgreSQL migration (decision 0001).

-- AlterTable
ALTER TABLE `Chat` ADD COLUMN `apiThreadKey` VARCHAR(191) NULL;

-- CreateTable
CREATE TABLE `AccessToken` (
    `id` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `name` VARCHAR(191) NOT NULL,
    `tokenHash` VARCHAR(191) NOT NULL,
    `prefix` VARCHAR(191) NOT NULL,
    `scopes` VARCHAR(191) NOT NULL,
    `expiresAt` DATETIME(3) NULL,
    `revokedAt` DATETIME(3) NULL,
    `lastUsedAt` DATETIME(3) NULL,
    `lastUsedAddress` VARCHAR(191) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `AccessToken_tokenHash_key`(`tokenHash`),
    INDEX `AccessToken_userId_idx`(`userId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateIndex
CREATE INDEX `Chat_userId_apiThreadKey_idx` ON `Chat`(`userId`, `apiThreadKey`);

-- AddForeignKey
ALTER TABLE `AccessToken` ADD CONSTRAINT `AccessToken_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- Every glasses token becomes an access token with the glasses scope, same id, same hash
-- (the glasses keep working with the secret they have), before its table goes.
INSERT INTO `AccessToken` (`id`, `userId`, `name`, `tokenHash`, `prefix`, `scopes`, `lastUsedAt`, `createdAt`)
SELECT `id`, `userId`, `name`, `tokenHash`, `prefix`, 'glasses', `lastUsedAt`, `createdAt` FROM `GlassesToken`;

-- DropForeignKey
ALTER TABLE `GlassesToken` DROP FOREIGN KEY `GlassesToken_userId_fkey`;

-- DropTable
DROP TABLE `GlassesToken`;
