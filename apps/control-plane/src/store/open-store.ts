import { type ApiTokenRepository, createApiTokenRepository } from "./api-tokens.ts";
import { type AuditLogRepository, createAuditLogRepository } from "./audit-log.ts";
import { type CertificateRepository, createCertificateRepository } from "./certificates.ts";
import { resolveDatabaseTarget, type StoreProvider } from "./database-target.ts";
import { createDataplaneTokenRepository, type DataplaneTokenRepository } from "./dataplane-tokens.ts";
import { createDataplaneRepository, type DataplaneRepository } from "./dataplanes.ts";
import { migratePostgres } from "./migrations/migrate-postgres.ts";
import { migrateSqlite } from "./migrations/migrate-sqlite.ts";
import { createPrismaClient, type StoreClient } from "./prisma-client.ts";
import { createPropagationAckRepository, type PropagationAckRepository } from "./propagation-acks.ts";
import { createResourceRepository, type ResourceRepository } from "./resources.ts";
import { createRolloutStateRepository, type RolloutStateRepository } from "./rollout-states.ts";
import { createUserRepository, type UserRepository } from "./users.ts";

export interface OpenStoreOptions {
  /**
   * `postgres://…` / `postgresql://…` for PostgreSQL, `file:<path>` for a SQLite file. Defaults to
   * DATABASE_URL, then to the SQLite file `.data/loom.db` (under LOOM_DATA_DIR when set).
   */
  databaseUrl?: string;
}

export interface Store {
  provider: StoreProvider;
  prisma: StoreClient;
  /** Migrations this call applied (empty when another replica, or an earlier start, applied them). */
  appliedMigrations: string[];
  resources: ResourceRepository;
  auditLog: AuditLogRepository;
  dataplanes: DataplaneRepository;
  apiTokens: ApiTokenRepository;
  dataplaneTokens: DataplaneTokenRepository;
  certificates: CertificateRepository;
  users: UserRepository;
  propagationAcks: PropagationAckRepository;
  rolloutStates: RolloutStateRepository;
  close(): Promise<void>;
}

/** Opens the configuration store, applying any pending migrations first. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const target = resolveDatabaseTarget(options.databaseUrl ?? process.env.DATABASE_URL);
  const appliedMigrations =
    target.provider === "sqlite" ? await migrateSqlite(target.file) : await migratePostgres(target.url);
  const prisma = createPrismaClient(target);
  await prisma.$connect();
  return {
    provider: target.provider,
    prisma,
    appliedMigrations,
    resources: createResourceRepository(prisma),
    auditLog: createAuditLogRepository(prisma),
    dataplanes: createDataplaneRepository(prisma),
    apiTokens: createApiTokenRepository(prisma),
    dataplaneTokens: createDataplaneTokenRepository(prisma),
    certificates: createCertificateRepository(prisma),
    users: createUserRepository(prisma),
    propagationAcks: createPropagationAckRepository(prisma, target.provider),
    rolloutStates: createRolloutStateRepository(prisma),
    close: () => prisma.$disconnect(),
  };
}
