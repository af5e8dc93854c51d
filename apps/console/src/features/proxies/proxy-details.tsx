"use client";

import Link from "next/link";
import { EditorOnly } from "@/features/auth/editor-only";
import { localTime } from "@/lib/format";
import { ProxyConfig } from "./proxy-config";
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
      <h3>Listeners</h3>
      <ul className="plain" aria-label="Listeners">
        {proxy.ports.inbound.map((inbound) => (
          <li key={`in-${inbound.port}`}>
            inbound <code>:{inbound.port}</code> ({inbound.protocol}) → app <code>:{inbound.appPort}</code>
          </li>
        ))}
        {proxy.ports.outbounds.map((outbound) => (
          <li key={`out-${outbound.port}`}>
            outbound <code>127.0.0.1:{outbound.port}</code> → {outbound.service}
          </li>
        ))}
        <li>
          admin <code>:{proxy.ports.adminPort}</code> (/metrics, /ready, /config)
          {proxy.ports.gateway && " · gateway"}
        </li>
      </ul>
      <h3>Running config</h3>
      <ProxyConfig proxy={proxy} />
      {proxy.status === "online" && (
        <EditorOnly>
          <p>
            <Link href={`/tap?proxy=${proxy.id}`}>Watch its requests live</Link>
          </p>
        </EditorOnly>
      )}
    </section>
  );
}
