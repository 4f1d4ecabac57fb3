-- CreateTable
CREATE TABLE "HealthHeartbeat" (
    "id" INTEGER NOT NULL,
    "beatAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HealthHeartbeat_pkey" PRIMARY KEY ("id")
);

