-- Written by hand: Prisma's offline schema engine cannot diff MySQL. Mirrors the
-- PostgreSQL migration of the same name; tests/db/schema-matches.test.ts checks it
-- against the Prisma schema on MariaDB.

-- AlterTable
ALTER TABLE `AiModel` ADD COLUMN `contextWindow` INTEGER NULL;

-- AlterTable
ALTER TABLE `Message` ADD COLUMN `usageEstimated` BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN `firstTokenMs` INTEGER NULL,
    ADD COLUMN `checkpointAt` DATETIME(3) NULL;

-- AlterTable: message text (up to 100,000 characters, replies of any length) outgrows
-- TEXT's 64 KB; `// huge-text` in the schema maps it to MEDIUMTEXT (16 MB).
ALTER TABLE `Message` MODIFY `content` MEDIUMTEXT NOT NULL;
