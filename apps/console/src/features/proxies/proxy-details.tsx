"use client";

import { localTime } from "@/lib/format";
import type { ProxyRow } from "./use-proxies";

export function ProxyDetails({ proxy }: { proxy: ProxyRow }) {
  return (
    <section className="card" aria-label={`Proxy ${proxy.name}`}>
      <h2>{proxy.name}</h2>
      <dl className="facts">
        <dt>Mesh / namespace</dt>
        <dd>
          {proxy.mesh} / {proxy.namespace}
        </dd>
        <dt>Registered</dt>
        <dd>{localTime(proxy.registeredAt)}</dd>
        <dt>Acked config version</dt>
        <dd>
          <code>{proxy.ackedVersion ?? "none yet"}</code>
        </dd>
        <dt>Last refusal (NACK)</dt>
        <dd>{proxy.lastNack ?? "none"}</dd>
        <dt>Identity</dt>
        <dd>
          <code>{proxy.certificate?.identity ?? "no valid certificate"}</code>
        </dd>
        {proxy.certificate && (
          <>
            <dt>Certificate valid</dt>
            <dd>
              {localTime(proxy.certificate.notBefore)} → {localTime(proxy.certificate.notAfter)}
            </dd>
          </>
        )}
      </dl>
      <h3>Ports</h3>
      <pre>{JSON.stringify(proxy.ports, null, 2)}</pre>
    </section>
  );
}
