import { hostname } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { timer } from "@loom/spec";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { collectDefaultMetrics, Registry } from "prom-client";
import { ensureInitialAdmin, INITIAL_ADMIN } from "./auth/initial-admin.ts";
import { createSessionCodec, loadSessionKey } from "./auth/sessions.ts";
import { generatedRootFiles, issueServerCertificate, openCertificateAuthority } from "./ca/index.ts";
import { createDataplaneApi } from "./dataplane/index.ts";
import { loadTapSecret } from "./dataplane/tap-token.ts";
import { publishingDataplaneChanges } from "./dataplane-events.ts";
import { createEventBus } from "./events.ts";
import { startObservability } from "./observability.ts";
import { OTLP_TRACES_PATH } from "./otlp/index.ts";
import { createResourceWriter } from "./resources/resource-writer.ts";
import { atPrefix, startLoomServer } from "./server.ts";
import { repoRoot } from "./store/database-target.ts";
import { openStore } from "./store/index.ts";
import { startStoreRetention, storeRetentionFromEnv } from "./store-retention.ts";
import { createContextFactory } from "./trpc/init.ts";
import { appRouter } from "./trpc/router.ts";

const USAGE = `loom-cp: the Loom control plane

  --port N        tRPC API, /metrics, /healthz over HTTP (LOOM_PORT, default 5681; 0 = any free port)
  --host H        address of that listener (LOOM_HOST, default 127.0.0.1)
  --dp-port N     data-plane API over HTTPS (LOOM_DP_PORT, default 5678; 0 = any free port)
  --dp-host H     address of that listener (LOOM_DP_HOST, default 127.0.0.1)
  --data-dir DIR  CA root, session key and the default SQLite store (LOOM_DATA_DIR, default .data)

Environment: DATABASE_URL (postgres://… or file:…; default file:<data-dir>/loom.db), LOOM_ADMIN_PASSWORD
(the first admin's password; generated and printed once when unset), LOOM_SESSION_SECRET (shared by replicas),
LOOM_CA_CERT_FILE + LOOM_CA_KEY_FILE (the operator's CA), LOOM_DP_HOSTS (extra names for the HTTPS certificate),
LOOM_AUDIT_RETENTION_DAYS (default 90), LOOM_CERTIFICATE_RETENTION_DAYS (days an expired certificate stays listed,
default 7), LOOM_REVISIONS_PER_RESOURCE (revisions kept per resource, default 100), LOOM_SPAN_RETENTION_HOURS
(default 24), LOOM_SPAN_MAX (default 1000000).`;

const SERVER_CERT_TTL_MS = 30 * 24 * 3_600_000;
const MAX_API_BODY_BYTES = 5 * 1024 * 1024;
const REPLICA_WATCH_MS = 250;

function readOptions(argv: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "dp-port": { type: "string" },
      "dp-host": { type: "string" },
      "data-dir": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = (value: string | undefined, fallback: number, name: string) => {
    const parsed = Number(value ?? fallback);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535)
      throw new Error(`${name} must be a port, got ${value}`);
    return parsed;
  };
  return {
    port: port(values.port ?? env.LOOM_PORT, 5681, "--port"),
    host: values.host ?? env.LOOM_HOST ?? "127.0.0.1",
    dpPort: port(values["dp-port"] ?? env.LOOM_DP_PORT, 5678, "--dp-port"),
    dpHost: values["dp-host"] ?? env.LOOM_DP_HOST ?? "127.0.0.1",
    dataDir: path.resolve(values["data-dir"] ?? env.LOOM_DATA_DIR ?? path.join(repoRoot, ".data")),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const options = readOptions(process.argv.slice(2), env);
  const retention = storeRetentionFromEnv(env);
  const store = await openStore({
    databaseUrl: env.DATABASE_URL ?? `file:${path.join(options.dataDir, "loom.db")}`,
  });
  const admin = await ensureInitialAdmin(store, env);
  if (admin.created && admin.generatedPassword !== undefined) {
    // The only place the generated password ever appears.
    console.log(`Created the admin user "${INITIAL_ADMIN}" with password: ${admin.generatedPassword}`);
    console.log("It is shown only this once; set LOOM_ADMIN_PASSWORD to choose it instead.");
  }

  const ca = await openCertificateAuthority({
    dataDir: options.dataDir,
    operatorFiles:
      env.LOOM_CA_CERT_FILE && env.LOOM_CA_KEY_FILE
        ? { certFile: env.LOOM_CA_CERT_FILE, keyFile: env.LOOM_CA_KEY_FILE }
        : undefined,
  });
  const events = createEventBus();
  const tapSecret = await loadTapSecret(
    env.LOOM_CA_CERT_FILE && env.LOOM_CA_KEY_FILE
      ? env.LOOM_CA_KEY_FILE
      : generatedRootFiles(options.dataDir).keyFile,
  );
  const dataplaneApi = createDataplaneApi({
    tapSecret,
    store: publishingDataplaneChanges(store, events),
    ca,
    // Replicas share PostgreSQL: writes made through another replica must reach this one's proxies (bound: 1 s).
    watchStoreEveryMs: store.provider === "postgresql" ? REPLICA_WATCH_MS : undefined,
  });
  events.subscribe((event) => {
    if (event.type !== "resource") return;
    // A Mesh resource describes the mesh it names, which its own metadata.mesh need not be.
    const mesh = event.kind === "Mesh" ? undefined : event.mesh;
    dataplaneApi.resourcesChanged(mesh).catch((error: unknown) => console.error("config fan-out:", error));
  });

  const observability = await startObservability({ store, events, dataDir: options.dataDir, env });
  const services = {
    store,
    events,
    observability,
    sessions: createSessionCodec(await loadSessionKey(options.dataDir, env)),
    resources: createResourceWriter({ store, events }),
    trustBundlePem: ca.trustBundlePem,
    tapSecret,
  };
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: createContextFactory(services),
    basePath: "/api/trpc/",
    maxBodySize: MAX_API_BODY_BYTES,
    onError({ error, path: procedure }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${procedure}:`, error.cause ?? error);
    },
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: "loom_cp_" });
  const dpHosts = [
    "localhost",
    "127.0.0.1",
    "::1",
    hostname(),
    options.dpHost,
    ...(env.LOOM_DP_HOSTS ?? "").split(","),
  ];
  const serverCertificate = async () => {
    const issued = await issueServerCertificate(ca, {
      hosts: [...new Set(dpHosts.filter((host) => host !== "" && host !== "0.0.0.0" && host !== "::"))],
      ttlMs: SERVER_CERT_TTL_MS,
    });
    return { cert: issued.certificateChainPem, key: issued.privateKeyPem };
  };
  const server = await startLoomServer({
    api: {
      host: options.host,
      port: options.port,
      mounts: [atPrefix("/api/trpc/", trpc), atPrefix(OTLP_TRACES_PATH, observability.otlp.handle)],
    },
    dataplane: {
      host: options.dpHost,
      port: options.dpPort,
      tls: await serverCertificate(),
      mounts: [dataplaneApi.handle],
    },
    metrics,
    drainTimeoutMs: timer("drainTimeoutMs"),
  });
  const renewal = setInterval(() => {
    serverCertificate()
      .then((tls) => server.setDataplaneCertificate(tls))
      .catch((error: unknown) => console.error("renewing the data-plane certificate:", error));
  }, SERVER_CERT_TTL_MS / 2).unref();
  const storeRetention = startStoreRetention(store, retention);
  console.log(`loom-cp ready: api ${server.apiUrl} dataplane ${server.dataplaneUrl} store ${store.provider}`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`loom-cp: ${signal}, stopping`);
    clearInterval(renewal);
    storeRetention.stop();
    await dataplaneApi.close();
    await server.close();
    await observability.close();
    await store.close();
    process.exit(0);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, (received) => void stop(received));
}

main().catch((error: unknown) => {
  console.error("loom-cp failed to start:", error);
  process.exit(1);
});
