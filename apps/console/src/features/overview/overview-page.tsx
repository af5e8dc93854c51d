"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { GraphEdgeTable } from "@/features/graph/graph-edge-table";
import type { GraphEdge } from "@/features/graph/use-service-graph";
import { useTRPC } from "@/lib/trpc";

function Stat({ label, value, href }: { label: string; value: string | number; href: string }) {
  return (
    <Link href={href} className="card stat">
      <div className="value">{value}</div>
      <div className="label">{label}</div>
    </Link>
  );
}

/** Lowest success first, then slowest p99: where an operator looks first. */
function WorstEdges({ edges }: { edges: readonly GraphEdge[] }) {
  const worst = [...edges]
    .sort(
      (a, b) =>
        (a.metrics.successRate ?? 1) - (b.metrics.successRate ?? 1) ||
        (b.metrics.latencyMs.p99 ?? 0) - (a.metrics.latencyMs.p99 ?? 0),
    )
    .slice(0, 5);
  const router = useRouter();
  return (
    <GraphEdgeTable edges={worst} selection={null} onSelect={() => router.push("/graph")} sorted={false} />
  );
}

/** Mesh health at a glance, each number leading to the page that explains it. */
export function OverviewPage() {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions());
  const proxies = useQuery(trpc.dataplanes.list.queryOptions());
  const policies = useQuery(trpc.policies.list.queryOptions());
  const security = useQuery(trpc.security.overview.queryOptions());
  const graph = useQuery({ ...trpc.graph.get.queryOptions({ window: "5m" }), refetchInterval: 10_000 });
  const rollouts = useQuery({ ...trpc.rollouts.list.queryOptions(), refetchInterval: 10_000 });
  const error = services.error ?? proxies.error ?? policies.error ?? security.error ?? graph.error;

  const online = proxies.data?.filter((proxy) => proxy.status === "online").length;
  const offline = proxies.data && online !== undefined ? proxies.data.length - online : undefined;
  const withCertificate = security.data?.dataplanes.filter(
    (proxy) => proxy.status === "online" && proxy.certificate !== null,
  ).length;
  const refusing = proxies.data?.filter((proxy) => proxy.lastNack !== null).length;
  const running = rollouts.data?.filter((rollout) =>
    ["pending", "progressing", "paused"].includes(rollout.phase),
  );
  const edges = graph.data?.edges ?? [];
  const requests = edges.reduce((sum, edge) => sum + edge.metrics.rps, 0);
  const failures = edges.reduce(
    (sum, edge) => sum + edge.metrics.rps * (1 - (edge.metrics.successRate ?? 1)),
    0,
  );
  const plaintext = edges.filter((edge) => edge.mtls !== "full").length;
  const show = (value: number | undefined) => value ?? "…";

  return (
    <>
      <h1>Overview</h1>
      {error && <ApiErrorMessage error={error} action="load the overview" />}
      <div className="cards">
        <Stat label="services" value={show(services.data?.length)} href="/services" />
        <Stat label="proxies online" value={show(online)} href="/proxies" />
        <Stat label="proxies offline" value={show(offline)} href="/proxies" />
        <Stat label="proxies refusing config" value={show(refusing)} href="/proxies" />
        <Stat
          label={`mTLS ${security.data?.mtls.mode ?? ""} · proxies with a certificate`}
          value={withCertificate === undefined || online === undefined ? "…" : `${withCertificate}/${online}`}
          href="/security"
        />
        <Stat label="policies" value={show(policies.data?.length)} href="/policies" />
        <Stat
          label="error rate (5 min, between services)"
          value={
            graph.data ? (requests > 0 ? `${((100 * failures) / requests).toFixed(2)}%` : "no traffic") : "…"
          }
          href="/graph"
        />
        <Stat label="plaintext edges" value={graph.data ? plaintext : "…"} href="/security" />
        <Stat label="rollouts in progress" value={show(running?.length)} href="/policies?kind=Rollout" />
      </div>
      <h2>Worst edges</h2>
      <WorstEdges edges={edges} />
      {running && running.length > 0 && (
        <>
          <h2>Rollouts in progress</h2>
          <ul className="plain">
            {running.map((rollout) => (
              <li key={`${rollout.mesh}/${rollout.namespace}/${rollout.name}`}>
                <Link href={`/canary?service=${encodeURIComponent(rollout.service)}`}>{rollout.name}</Link>{" "}
                <span className="badge">{rollout.phase}</span> canary at {rollout.canaryWeight}% ·{" "}
                {rollout.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
