"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useTRPC } from "@/lib/trpc";

export function ServicesPage() {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions());
  const proxies = useQuery(trpc.dataplanes.list.queryOptions());
  const error = services.error ?? proxies.error;

  return (
    <>
      <h1>Services</h1>
      {error && <ApiErrorMessage error={error} action="list the services" />}
      {services.data?.length === 0 && <p className="empty">No services yet: apply a Service resource.</p>}
      {services.data && services.data.length > 0 && (
        <table aria-label="Services">
          <thead>
            <tr>
              <th>Service</th>
              <th>Mesh</th>
              <th>Ports</th>
              <th>Proxies online</th>
              <th>Versions</th>
            </tr>
          </thead>
          <tbody>
            {services.data.map((service) => {
              const { mesh, name } = service.metadata;
              const instances =
                proxies.data?.filter((proxy) => proxy.mesh === mesh && proxy.service === name) ?? [];
              const online = instances.filter((proxy) => proxy.status === "online").length;
              const versions = [...new Set(instances.flatMap((proxy) => proxy.tags.version ?? []))];
              return (
                <tr key={`${mesh}/${name}`}>
                  <td>
                    <Link href={`/services/${encodeURIComponent(name)}`}>{name}</Link>
                  </td>
                  <td>{mesh}</td>
                  <td>
                    {service.spec.ports.map((port) => (
                      <span key={port.port} className="badge">
                        {port.port}/{port.protocol}
                      </span>
                    ))}
                  </td>
                  <td>
                    {online}/{instances.length}
                  </td>
                  <td>{versions.join(", ") || "—"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
