import path from "node:path";
import { positiveNumberFromEnv } from "./env-number.ts";
import type { EventBus } from "./events.ts";
import { rememberAcceptedTokens } from "./otlp/accepted-tokens.ts";
import { createOtlpReceiver, type OtlpReceiver } from "./otlp/index.ts";
import { createRolloutController, type RolloutController } from "./rollout/index.ts";
import type { Store } from "./store/index.ts";
import { openSpanStore, type SpanStore } from "./store/spans/index.ts";
import { createMetricsSource, type MetricsBackend, type TelemetryHub } from "./telemetry/index.ts";

const SPAN_PRUNE_INTERVAL_MS = 60_000;
const DEFAULT_SPAN_RETENTION_HOURS = 24;
const DEFAULT_SPAN_MAX = 1_000_000;
/** How long /v1/traces trusts a token it checked: a revoked one may send spans this much longer. */
const OTLP_TOKEN_TRUST_MS = 2_000;

/** What the metrics, graph, traces, rollouts and what-if routers read (AppServices.observability). */
export interface Observability {
  metrics: MetricsBackend;
  /** The built-in scraper; absent when LOOM_PROMETHEUS_URL hands metrics to a real Prometheus. */
  hub: TelemetryHub | undefined;
  spans: SpanStore;
  rollouts: RolloutController;
  /** Mount at POST /v1/traces (OTLP_TRACES_PATH). */
  otlp: OtlpReceiver;
}

export interface StartObservabilityOptions {
  store: Store;
  events: EventBus;
  /** The span database lives here, apart from the configuration store (spans.db). */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts telemetry (the hub's scrape loop, or the Prometheus backend), the span store with its retention, the
 * OTLP receiver and the Rollout controller. Environment: LOOM_PROMETHEUS_URL, LOOM_OTLP_FORWARD_URL,
 * LOOM_OTLP_ALLOW_ANONYMOUS=1 (take spans sent without a token, for SDKs that cannot send headers),
 * LOOM_SPAN_RETENTION_HOURS (default 24), LOOM_SPAN_MAX (default 1,000,000).
 */
export async function startObservability(
  options: StartObservabilityOptions,
): Promise<Observability & { close(): Promise<void> }> {
  const env = options.env ?? process.env;
  const { backend, hub } = createMetricsSource(options.store, env);
  const spans = await openSpanStore({ file: path.join(options.dataDir, "spans.db") });
  const otlp = createOtlpReceiver({
    spans,
    forwardTo: env.LOOM_OTLP_FORWARD_URL || undefined,
    onForwardError: (error) => console.error("OTLP forward:", error.message),
    // Proxies send their dataplane token; other senders an API token of a role that may write (a viewer's is
    // read-only, and spans are writes). A token that is sent must be valid.
    authenticate: rememberAcceptedTokens(
      async (token) =>
        (await options.store.dataplaneTokens.verify(token)) !== null ||
        ["editor", "admin"].includes((await options.store.apiTokens.verify(token))?.role ?? ""),
      OTLP_TOKEN_TRUST_MS,
    ),
    requireToken: env.LOOM_OTLP_ALLOW_ANONYMOUS !== "1",
  });
  const rollouts = createRolloutController({
    store: options.store,
    metrics: backend,
    events: options.events,
  });
  const retention = {
    maxAgeMs:
      positiveNumberFromEnv(env, "LOOM_SPAN_RETENTION_HOURS", DEFAULT_SPAN_RETENTION_HOURS) * 3_600_000,
    maxSpans: positiveNumberFromEnv(env, "LOOM_SPAN_MAX", DEFAULT_SPAN_MAX),
  };
  const pruning = setInterval(() => {
    spans.prune(retention).catch((error: unknown) => console.error("span retention:", error));
  }, SPAN_PRUNE_INTERVAL_MS);
  pruning.unref();
  hub?.start();
  rollouts.start();
  return {
    metrics: backend,
    hub,
    spans,
    rollouts,
    otlp,
    async close() {
      clearInterval(pruning);
      await rollouts.close();
      await backend.close();
      await spans.close();
    },
  };
}
