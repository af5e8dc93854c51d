-- AlterTable
-- Written by hand instead of Prisma's table rebuild: migrations run inside one transaction, where
-- PRAGMA foreign_keys=OFF does nothing, so dropping "User" would cascade-delete every ApiToken.
ALTER TABLE "User" ADD COLUMN "sessionEpoch" INTEGER NOT NULL DEFAULT 0;
