import { setTimeout as sleep } from "node:timers/promises";
import type { ApiClient } from "./control-plane.ts";
import { ENTRY_SERVICE, GATEWAY_SERVICE, SHOP } from "./topology.ts";

/** Every caller → callee pair of the topology, as the graph names its edges. */
const EXPECTED_EDGES = [
  `${GATEWAY_SERVICE}→${ENTRY_SERVICE}`,
  ...SHOP.flatMap((service) => service.calls.map((callee) => `${service.name}→${callee}`)),
];

/** Waits until the control plane's graph shows traffic on every edge of the shop. */
export async function waitForLiveGraph(admin: ApiClient, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    const graph = await admin.graph.get.query({ window: "1m" }).catch(() => undefined);
    const live = new Set(
      (graph?.edges ?? [])
        .filter((edge) => edge.metrics.rps > 0)
        .map((edge) => `${edge.source}→${edge.destination}`),
    );
    seen = EXPECTED_EDGES.filter((edge) => live.has(edge)).length;
    if (seen === EXPECTED_EDGES.length) return seen;
    await sleep(1_000);
  }
  throw new Error(`the graph shows ${seen} of the ${EXPECTED_EDGES.length} edges after ${timeoutMs} ms`);
}
