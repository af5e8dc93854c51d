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
  /** Another instance of a service (a canary version), online and acked when this resolves. */
  addInstance(service: string, version: string): Promise<ProcessHandle>;
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
  const { admin } = controlPlane;
  await admin.policies.applyYaml.mutate({
    text: [MESH, ...FIXTURE_SERVICES.map(({ service }) => serviceYaml(service))].join("---\n"),
  });
  // Where each service's proxies listen for peers; callers reach them through the endpoints the control plane
  // sends, so every instance gets its own ports.
  const calls = new Map<string, string | undefined>(
    FIXTURE_SERVICES.map(({ service, calls }) => [service, calls]),
  );
  const startInstance = (service: string, version: string) =>
    startInstanceOf(controlPlane, service, version, calls.get(service));

  const instances = await Promise.all(
    FIXTURE_SERVICES.map(({ service, version }) => startInstance(service, version)),
  );
  await waitForOnline(admin, FIXTURE_SERVICES.length);
  const entry = instances[0];
  if (!entry) throw new Error("the fixture has no entry service");
  const entryUrl = `http://127.0.0.1:${entry.inboundPort}/`;
  return {
    proxies: instances.map((instance) => instance.proxy),
    entryUrl,
    async addInstance(service, version) {
      const online = (await admin.dataplanes.list.query({ status: "online" })).length;
      const instance = await startInstance(service, version);
      await waitForOnline(admin, online + 1);
      return instance.proxy;
    },
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

function waitForOnline(admin: RunningControlPlane["admin"], count: number): Promise<unknown> {
  return waitFor(
    async () => {
      const online = await admin.dataplanes.list.query({ status: "online" });
      return online.length === count && online.every((proxy) => proxy.ackedVersion !== null);
    },
    { what: `${count} proxies to register and ack their first snapshot`, timeoutMs: 60_000 },
  );
}

/** One instance: its app, and a managed proxy in front of it (plus its outbound to the service it calls). */
async function startInstanceOf(
  { admin, apiUrl, dataDir, dataplaneUrl }: RunningControlPlane,
  service: string,
  version: string,
  calls: string | undefined,
): Promise<{ proxy: ProcessHandle; inboundPort: number }> {
  const [inboundPort, appPort, outboundPort, adminPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const name = `${service}-${version}`;
  await startProcess({
    name: `app ${name}`,
    command: process.execPath,
    args: [FIXTURE_APP],
    env: {
      SERVICE: service,
      APP_PORT: String(appPort),
      CALLS_URL: calls && `http://127.0.0.1:${outboundPort}`,
    },
    ready: { line: /listening/ },
  });
  const { token } = await admin.tokens.dataplane.create.mutate({ service });
  const bootstrap: BootstrapInput = {
    name,
    dataplane: {
      service,
      tags: { version },
      inbound: [{ port: inboundPort, appPort }],
      outbounds: calls ? [{ service: calls, port: outboundPort }] : [],
    },
    adminPort,
    controlPlane: { url: dataplaneUrl, caFile: path.join(dataDir, "ca", "root.crt"), token },
    tracing: { otlpUrl: `${apiUrl}/v1/traces` },
  };
  const file = path.join(dataDir, `${name}.json`);
  await writeFile(file, JSON.stringify(bootstrap));
  const proxy = await startProcess({
    name: `proxy ${name}`,
    command: process.execPath,
    args: [LOOM_PROXY_BIN, "--bootstrap", file],
    ready: { line: /started/ },
  });
  return { proxy, inboundPort };
}
