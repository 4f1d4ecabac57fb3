-- Written by hand (Prisma's offline engine cannot diff MySQL), mirroring the PostgreSQL one.

-- CreateTable
CREATE TABLE `HealthHeartbeat` (
    `id` INTEGER NOT NULL,
    `beatAt` DATETIME(3) NOT NULL,

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
