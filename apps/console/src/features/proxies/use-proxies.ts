import { useQuery } from "@tanstack/react-query";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

export type ProxyView = RouterOutputs["dataplanes"]["list"][number];
export type Certificate = RouterOutputs["security"]["certificates"][number];

export interface ProxyRow extends ProxyView {
  /** The newest certificate valid now, if the proxy holds one. */
  certificate: Certificate | undefined;
}

/** Every registered proxy with its current certificate; kept live by the console's change streams. */
export function useProxies() {
  const trpc = useTRPC();
  const dataplanes = useQuery(trpc.dataplanes.list.queryOptions());
  const certificates = useQuery(trpc.security.certificates.queryOptions({ validOnly: true }));
  const newestCertificate = new Map<number, Certificate>();
  // Oldest first, so the last one per proxy wins.
  for (const certificate of certificates.data ?? [])
    if (certificate.dataplaneId !== null) newestCertificate.set(certificate.dataplaneId, certificate);
  const rows: ProxyRow[] | undefined = dataplanes.data?.map((proxy) => ({
    ...proxy,
    certificate: newestCertificate.get(proxy.id),
  }));
  return { rows, error: dataplanes.error ?? certificates.error, isLoading: dataplanes.isLoading };
}
