-- AlterTable
ALTER TABLE "Dataplane" ADD COLUMN "nackedVersion" TEXT;
ALTER TABLE "Dataplane" ADD COLUMN "reportedAt" DATETIME;

-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "PropagationAck";
PRAGMA foreign_keys=on;

