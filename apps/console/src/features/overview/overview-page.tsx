"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useTRPC } from "@/lib/trpc";

function Stat({ label, value, href }: { label: string; value: string | number; href: string }) {
  return (
    <Link href={href} className="card stat">
      <div className="value">{value}</div>
      <div className="label">{label}</div>
    </Link>
  );
}

/** Mesh health at a glance, each number leading to the page that explains it. */
export function OverviewPage() {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions());
  const proxies = useQuery(trpc.dataplanes.list.queryOptions());
  const policies = useQuery(trpc.policies.list.queryOptions());
  const security = useQuery(trpc.security.overview.queryOptions());
  const error = services.error ?? proxies.error ?? policies.error ?? security.error;

  const online = proxies.data?.filter((proxy) => proxy.status === "online").length;
  const offline = proxies.data && online !== undefined ? proxies.data.length - online : undefined;
  const withCertificate = security.data?.dataplanes.filter(
    (proxy) => proxy.status === "online" && proxy.certificate !== null,
  ).length;
  const refusing = proxies.data?.filter((proxy) => proxy.lastNack !== null).length;
  const rollouts = policies.data?.filter((policy) => policy.kind === "Rollout").length;
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
        <Stat label="rollouts" value={show(rollouts)} href="/policies?kind=Rollout" />
      </div>
    </>
  );
}
