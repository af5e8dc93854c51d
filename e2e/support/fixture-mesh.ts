import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { BootstrapInput } from "@loom/spec";
import { fixedRateLoad, freePort, type ProcessHandle, startProcess, waitFor } from "@loom/test-harness";
import type { RunningControlPlane } from "./control-plane.ts";
import { LOOM_PROXY_BIN } from "./paths.ts";

const FIXTURE_APP = path.join(import.meta.dirname, "fixture-app.mjs");

/** web → cart → checkout: three services, an app and a managed proxy each. */
export const FIXTURE_SERVICES = [
  { service: "web", version: "v1", calls: "cart" },
  { service: "cart", version: "v1", calls: "checkout" },
  { service: "checkout", version: "v1", calls: undefined },
] as const;

export interface FixtureMesh {
  proxies: ProcessHandle[];
  /** web's inbound listener: where outside traffic enters the chain. */
  entryUrl: string;
  /** Sends `rps` requests per second into web until `stop` is called (open loop, as a load generator does). */
  startLoad(rps: number): { stop(): Promise<void> };
}

/** Every request traced, so the traces page has something to show after a few requests. */
const MESH = `kind: Mesh
metadata:
  name: default
spec:
  tracing:
    samplingRate: 1
`;

function serviceYaml(service: string): string {
  return `kind: Service\nmetadata:\n  name: ${service}\nspec:\n  ports:\n    - port: 8080\n      protocol: http\n`;
}

export async function startFixtureMesh(controlPlane: RunningControlPlane): Promise<FixtureMesh> {
  const { admin, apiUrl, dataDir, dataplaneUrl } = controlPlane;
  await admin.policies.applyYaml.mutate({
    text: [MESH, ...FIXTURE_SERVICES.map(({ service }) => serviceYaml(service))].join("---\n"),
  });
  const ports = new Map<string, { inbound: number; app: number; outbound: number }>();
  for (const { service } of FIXTURE_SERVICES)
    ports.set(service, { inbound: await freePort(), app: await freePort(), outbound: await freePort() });
  const portsOf = (service: string) => {
    const found = ports.get(service);
    if (!found) throw new Error(`no ports for ${service}`);
    return found;
  };

  const proxies = await Promise.all(
    FIXTURE_SERVICES.map(async ({ service, version, calls }) => {
      const own = portsOf(service);
      await startProcess({
        name: `app ${service}`,
        command: process.execPath,
        args: [FIXTURE_APP],
        env: {
          SERVICE: service,
          APP_PORT: String(own.app),
          CALLS_URL: calls && `http://127.0.0.1:${portsOf(calls).outbound}`,
        },
        ready: { line: /listening/ },
      });
      const { token } = await admin.tokens.dataplane.create.mutate({ service });
      const name = `${service}-${version}`;
      const bootstrap: BootstrapInput = {
        name,
        dataplane: {
          service,
          tags: { version },
          inbound: [{ port: own.inbound, appPort: own.app }],
          outbounds: calls ? [{ service: calls, port: portsOf(calls).outbound }] : [],
        },
        adminPort: await freePort(),
        controlPlane: { url: dataplaneUrl, caFile: path.join(dataDir, "ca", "root.crt"), token },
        tracing: { otlpUrl: `${apiUrl}/v1/traces` },
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

  const entryUrl = `http://127.0.0.1:${portsOf("web").inbound}/`;
  return {
    proxies,
    entryUrl,
    startLoad(rps) {
      let running = true;
      const loop = (async () => {
        while (running) await fixedRateLoad({ url: entryUrl, rps, durationMs: 2_000 });
      })();
      return {
        async stop() {
          running = false;
          await loop;
        },
      };
    },
  };
}
