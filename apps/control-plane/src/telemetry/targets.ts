import { portSchema } from "@loom/spec";
import { z } from "zod";
import type { DataplaneRecord, Store } from "../store/index.ts";
import type { ScrapeTarget } from "./scrape.ts";

/**
 * The registration keeps the proxy's port declarations as JSON (`ports`); the admin port among them is where
 * /metrics is served (RegisterRequest.adminPort in @loom/spec).
 */
const registeredPortsSchema = z.object({ adminPort: portSchema });

function scrapeTargetOf(dataplane: DataplaneRecord): ScrapeTarget | undefined {
  const ports = registeredPortsSchema.safeParse(dataplane.ports);
  if (!ports.success) return undefined;
  const host = dataplane.address.includes(":") ? `[${dataplane.address}]` : dataplane.address;
  return {
    id: `${dataplane.mesh}/${dataplane.namespace}/${dataplane.name}`,
    url: `http://${host}:${ports.data.adminPort}/metrics`,
    service: dataplane.service,
    tags: dataplane.tags,
  };
}

/** Every online proxy that registered an admin port. */
export function onlineDataplaneTargets(store: Store): () => Promise<ScrapeTarget[]> {
  return async () =>
    (await store.dataplanes.list({ status: "online" }))
      .map(scrapeTargetOf)
      .filter((target): target is ScrapeTarget => target !== undefined);
}
