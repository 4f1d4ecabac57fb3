-- Written by hand, mirroring the PostgreSQL migration (decision 0001).

-- The email column compares bytes (User.email is marked `// exact-bytes`): under the table's
-- utf8mb4_unicode_ci, 'vìctim@…', fullwidth letters, a zero-width space or a trailing NUL all
-- equal another user's address and find their account (docs/decisions/0016-accounts.md).
ALTER TABLE `User` MODIFY `email` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- AlterTable
ALTER TABLE `Session` ADD COLUMN `userAgent` TEXT NOT NULL DEFAULT (''),
    ADD COLUMN `clientAddress` VARCHAR(191) NOT NULL DEFAULT '',
    ADD COLUMN `lastSeenAt` DATETIME(3) NULL;

-- CreateTable
CREATE TABLE `PasswordReset` (
    `id` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `tokenHash` VARCHAR(191) NOT NULL,
    `expiresAt` DATETIME(3) NOT NULL,
    `usedAt` DATETIME(3) NULL,
    `createdById` VARCHAR(191) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `PasswordReset_tokenHash_key`(`tokenHash`),
    INDEX `PasswordReset_userId_idx`(`userId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `PasswordReset` ADD CONSTRAINT `PasswordReset_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
