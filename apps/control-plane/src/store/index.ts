export type { ApiTokenRecord, ApiTokenRepository } from "./api-tokens.ts";
export type { AuditEntry, AuditLogRepository, AuditQuery, AuditRecord } from "./audit-log.ts";
export type {
  CertificateFilter,
  CertificateIssue,
  CertificateRecord,
  CertificateRepository,
} from "./certificates.ts";
export type { StoreProvider } from "./database-target.ts";
export type { DataplaneTokenRecord, DataplaneTokenRepository } from "./dataplane-tokens.ts";
export type {
  DataplaneFilter,
  DataplaneRecord,
  DataplaneRegistration,
  DataplaneRepository,
  DataplaneStatus,
} from "./dataplanes.ts";
export { ConflictError, NotFoundError } from "./errors.ts";
export { type OpenStoreOptions, openStore, type Store } from "./open-store.ts";
export type { StoreClient, StoreTransaction } from "./prisma-client.ts";
export type { AckReport, PropagationAckRepository, PropagationReport } from "./propagation-acks.ts";
export {
  defaultNamespace,
  type ResourceFilter,
  type ResourceInput,
  type ResourceKey,
  type ResourceRevisionRecord,
  type RevisionAction,
  type StoredResource,
} from "./resource-model.ts";
export type { ResourceRepository } from "./resources.ts";
export { type Role, roles } from "./roles.ts";
export type {
  RolloutKey,
  RolloutStateInput,
  RolloutStateRecord,
  RolloutStateRepository,
} from "./rollout-states.ts";
export type { UserRecord, UserRepository } from "./users.ts";
