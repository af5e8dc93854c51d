import { positiveNumberFromEnv } from "./env-number.ts";
import type { Store } from "./store/index.ts";

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface StoreRetention {
  /** Audit entries are kept this many days. */
  auditDays: number;
  /** Issued certificates are listed this many days past their expiry (the proxies' rotations stay visible). */
  expiredCertificateDays: number;
  /** Each resource keeps this many revisions (its history, and what it can be rolled back to). */
  revisionsPerResource: number;
}

export function storeRetentionFromEnv(env: NodeJS.ProcessEnv): StoreRetention {
  return {
    auditDays: positiveNumberFromEnv(env, "LOOM_AUDIT_RETENTION_DAYS", 90),
    expiredCertificateDays: positiveNumberFromEnv(env, "LOOM_CERTIFICATE_RETENTION_DAYS", 7),
    revisionsPerResource: Math.ceil(positiveNumberFromEnv(env, "LOOM_REVISIONS_PER_RESOURCE", 100)),
  };
}

/** Deletes what is past its retention; each replica may run it, the deletes are idempotent. */
export async function pruneStore(
  store: Pick<Store, "auditLog" | "certificates" | "resources">,
  retention: StoreRetention,
  now = Date.now(),
): Promise<{ auditEntries: number; certificates: number; revisions: number }> {
  return {
    auditEntries: await store.auditLog.deleteOlderThan(new Date(now - retention.auditDays * DAY_MS)),
    certificates: await store.certificates.deleteExpiredBefore(
      new Date(now - retention.expiredCertificateDays * DAY_MS),
    ),
    revisions: await store.resources.pruneHistory(retention.revisionsPerResource),
  };
}

/** Prunes now and then hourly: rows per proxy rotation and per write would otherwise grow without end. */
export function startStoreRetention(store: Store, retention: StoreRetention): { stop(): void } {
  const prune = () =>
    pruneStore(store, retention)
      .then(({ auditEntries, certificates, revisions }) => {
        if (auditEntries + certificates + revisions > 0)
          console.log(
            `retention: deleted ${auditEntries} audit entries older than ${retention.auditDays} days, ${certificates} certificates expired over ${retention.expiredCertificateDays} days ago and ${revisions} revisions beyond each resource's newest ${retention.revisionsPerResource}`,
          );
      })
      .catch((error: unknown) => console.error("store retention:", error));
  void prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS).unref();
  return { stop: () => clearInterval(timer) };
}
