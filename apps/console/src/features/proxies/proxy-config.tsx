"use client";

import { useQuery } from "@tanstack/react-query";
import { stringify } from "yaml";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { shortVersion } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import type { ProxyView } from "./use-proxies";

type Snapshot = NonNullable<RouterOutputs["dataplanes"]["config"]["snapshot"]>;

function policyNames(policies: Record<string, { name: string } | undefined>): string {
  const named = Object.entries(policies).flatMap(([kind, policy]) =>
    policy ? [`${kind} ${policy.name}`] : [],
  );
  return named.length === 0 ? "defaults" : named.join(", ");
}

/**
 * The config the proxy runs, read from its admin /config through the control plane; every ACK or NACK the
 * control plane reports re-reads it, so it follows propagation live.
 */
export function ProxyConfig({ proxy }: { proxy: ProxyView }) {
  const trpc = useTRPC();
  const config = useQuery({
    ...trpc.dataplanes.config.queryOptions({ id: proxy.id }),
    enabled: proxy.status === "online",
    staleTime: 0,
  });

  if (proxy.status !== "online")
    return <p className="muted">The proxy is offline: its running config cannot be read.</p>;
  if (config.error) return <ApiErrorMessage error={config.error} action="read this proxy's config" />;
  if (config.data === undefined) return <p className="muted">Reading the proxy's config…</p>;
  const { snapshot, ackedVersion } = config.data;
  if (snapshot === null) return <p className="empty">The proxy has not applied a config yet.</p>;

  return (
    <section aria-label="Running config">
      <p>
        Running version <code title={snapshot.version}>{shortVersion(snapshot.version)}</code>{" "}
        {snapshot.version === ackedVersion ? (
          <span className="badge ok">acked</span>
        ) : (
          <span className="badge warn">
            the control plane last recorded an ACK of {shortVersion(ackedVersion)}
          </span>
        )}
      </p>
      <SnapshotSummary snapshot={snapshot} />
      <details>
        <summary>Full config (YAML)</summary>
        <figure aria-label="Config YAML" className="config-yaml">
          <pre>{stringify(snapshot, { lineWidth: 0 })}</pre>
        </figure>
      </details>
    </section>
  );
}

function SnapshotSummary({ snapshot }: { snapshot: Snapshot }) {
  return (
    <ul className="plain" aria-label="Config summary">
      <li>
        mesh {snapshot.mesh.name}, mTLS {snapshot.mesh.spec.mtls.mode}
      </li>
      <li>inbound: {policyNames(snapshot.inbound)}</li>
      {snapshot.outbounds.map((outbound) => {
        const { service, port, protocol, endpoints, route, timeout, retry, circuitBreaker, healthCheck } =
          outbound;
        const healthy = endpoints.filter((endpoint) => endpoint.healthy).length;
        return (
          <li key={`${service}:${port}`}>
            outbound {service} <code>:{port}</code> ({protocol}): {healthy} of {endpoints.length} endpoint(s)
            healthy ({endpoints.map((endpoint) => endpoint.dataplane).join(", ") || "none"}); route{" "}
            {route?.name ?? "default"}; {policyNames({ timeout, retry, circuitBreaker, healthCheck })}
          </li>
        );
      })}
    </ul>
  );
}
