import type { ProxyView } from "./use-proxies";

export function ProxyStatusBadge({ proxy }: { proxy: ProxyView }) {
  if (proxy.status !== "online") return <span className="badge bad">{proxy.status}</span>;
  if (proxy.lastNack !== null) return <span className="badge warn">online, config refused</span>;
  return <span className="badge ok">online</span>;
}
