-- CreateTable
CREATE TABLE "HealthHeartbeat" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "beatAt" DATETIME NOT NULL
);

