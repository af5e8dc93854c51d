-- CreateTable
CREATE TABLE "Resource" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "mesh" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "spec" TEXT NOT NULL,
    "resourceVersion" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Resource_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ResourceRevision" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "mesh" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "before" TEXT,
    "after" TEXT,

    CONSTRAINT "ResourceRevision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Dataplane" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "mesh" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "tags" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "ports" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "ackedVersion" TEXT,
    "lastNack" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Dataplane_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Certificate" (
    "id" SERIAL NOT NULL,
    "serial" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "dataplaneId" INTEGER,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Certificate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "userId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DataplaneToken" (
    "id" SERIAL NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "mesh" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "DataplaneToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "mesh" TEXT NOT NULL,
    "detail" TEXT NOT NULL,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutState" (
    "id" SERIAL NOT NULL,
    "mesh" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "currentStep" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "history" TEXT NOT NULL,

    CONSTRAINT "RolloutState_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PropagationAck" (
    "id" SERIAL NOT NULL,
    "dataplaneId" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PropagationAck_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Resource_mesh_kind_idx" ON "Resource"("mesh", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "Resource_kind_mesh_namespace_name_key" ON "Resource"("kind", "mesh", "namespace", "name");

-- CreateIndex
CREATE INDEX "ResourceRevision_at_idx" ON "ResourceRevision"("at");

-- CreateIndex
CREATE UNIQUE INDEX "ResourceRevision_kind_mesh_namespace_name_version_key" ON "ResourceRevision"("kind", "mesh", "namespace", "name", "version");

-- CreateIndex
CREATE INDEX "Dataplane_mesh_service_idx" ON "Dataplane"("mesh", "service");

-- CreateIndex
CREATE UNIQUE INDEX "Dataplane_mesh_namespace_name_key" ON "Dataplane"("mesh", "namespace", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_serial_key" ON "Certificate"("serial");

-- CreateIndex
CREATE INDEX "Certificate_dataplaneId_idx" ON "Certificate"("dataplaneId");

-- CreateIndex
CREATE INDEX "Certificate_notAfter_idx" ON "Certificate"("notAfter");

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ApiToken_userId_idx" ON "ApiToken"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "DataplaneToken_tokenHash_key" ON "DataplaneToken"("tokenHash");

-- CreateIndex
CREATE INDEX "DataplaneToken_mesh_namespace_service_idx" ON "DataplaneToken"("mesh", "namespace", "service");

-- CreateIndex
CREATE INDEX "AuditLog_at_idx" ON "AuditLog"("at");

-- CreateIndex
CREATE INDEX "AuditLog_kind_mesh_name_idx" ON "AuditLog"("kind", "mesh", "name");

-- CreateIndex
CREATE UNIQUE INDEX "RolloutState_mesh_namespace_name_key" ON "RolloutState"("mesh", "namespace", "name");

-- CreateIndex
CREATE INDEX "PropagationAck_dataplaneId_at_idx" ON "PropagationAck"("dataplaneId", "at");

-- CreateIndex
CREATE INDEX "PropagationAck_version_idx" ON "PropagationAck"("version");

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_dataplaneId_fkey" FOREIGN KEY ("dataplaneId") REFERENCES "Dataplane"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PropagationAck" ADD CONSTRAINT "PropagationAck_dataplaneId_fkey" FOREIGN KEY ("dataplaneId") REFERENCES "Dataplane"("id") ON DELETE CASCADE ON UPDATE CASCADE;

