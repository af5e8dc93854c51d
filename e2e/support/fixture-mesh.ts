import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { BootstrapInput } from "@loom/spec";
import { freePort, type ProcessHandle, startProcess, waitFor } from "@loom/test-harness";
import type { RunningControlPlane } from "./control-plane.ts";
import { LOOM_PROXY_BIN } from "./paths.ts";

/** web → cart → checkout: three services, one proxy each, every proxy managed by the control plane. */
export const FIXTURE_SERVICES = [
  { service: "web", version: "v1", calls: "cart" },
  { service: "cart", version: "v1", calls: "checkout" },
  { service: "checkout", version: "v1", calls: undefined },
] as const;

export interface FixtureMesh {
  proxies: ProcessHandle[];
}

export async function startFixtureMesh(controlPlane: RunningControlPlane): Promise<FixtureMesh> {
  const { admin, dataDir, dataplaneUrl } = controlPlane;
  await admin.policies.applyYaml.mutate({
    text: FIXTURE_SERVICES.map(
      ({ service }) =>
        `kind: Service\nmetadata:\n  name: ${service}\nspec:\n  ports:\n    - port: 8080\n      protocol: http\n`,
    ).join("---\n"),
  });
  const outboundPorts = new Map<string, number>();
  for (const { service } of FIXTURE_SERVICES) outboundPorts.set(service, await freePort());

  const proxies = await Promise.all(
    FIXTURE_SERVICES.map(async ({ service, version, calls }) => {
      const { token } = await admin.tokens.dataplane.create.mutate({ service });
      const name = `${service}-${version}`;
      const bootstrap: BootstrapInput = {
        name,
        dataplane: {
          service,
          tags: { version },
          inbound: [{ port: await freePort(), appPort: await freePort() }],
          outbounds: calls ? [{ service: calls, port: outboundPorts.get(calls) ?? 0 }] : [],
        },
        adminPort: await freePort(),
        controlPlane: { url: dataplaneUrl, caFile: path.join(dataDir, "ca", "root.crt"), token },
      };
      const file = path.join(dataDir, `${name}.json`);
      await writeFile(file, JSON.stringify(bootstrap));
      return startProcess({
        name: `proxy ${name}`,
        command: process.execPath,
        args: [LOOM_PROXY_BIN, "--bootstrap", file],
        ready: { line: /started/ },
      });
    }),
  );
  await waitFor(
    async () => {
      const online = await admin.dataplanes.list.query({ status: "online" });
      return (
        online.length === FIXTURE_SERVICES.length && online.every((proxy) => proxy.ackedVersion !== null)
      );
    },
    { what: "every fixture proxy to register and ack its first snapshot", timeoutMs: 60_000 },
  );
  return { proxies };
}
