-- DropForeignKey
ALTER TABLE "PropagationAck" DROP CONSTRAINT "PropagationAck_dataplaneId_fkey";

-- AlterTable
ALTER TABLE "Dataplane" ADD COLUMN     "nackedVersion" TEXT,
ADD COLUMN     "reportedAt" TIMESTAMP(3);

-- DropTable
DROP TABLE "PropagationAck";

