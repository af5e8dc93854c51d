import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { BootstrapInput } from "@loom/spec";
import { freePort, type ProcessHandle, startProcess, waitFor, waitForHttp } from "@loom/test-harness";
import type { ApiClient } from "../../../apps/control-plane/test/api/control-plane.ts";

const CHAIN_APP = path.resolve(import.meta.dirname, "chain-app.mjs");
const LOOM_PROXY_BIN = path.resolve(import.meta.dirname, "../../../packages/proxy/bin/loom-proxy.js");

/** web → cart → checkout, as issue #7 asks: every hop through both sidecars, proxy to proxy over mTLS. */
export const CHAIN = [
  { service: "web", calls: "cart" },
  { service: "cart", calls: "checkout" },
  { service: "checkout", calls: undefined },
] as const;
export type ChainService = (typeof CHAIN)[number]["service"];

/**
 * Permissive lets the load generator (outside the mesh) call web's inbound in plaintext, while proxies talk to
 * each other over mTLS; "off" is for tests whose outage would outlive test mode's 20 s certificates. Traces sampled, as a production mesh under load would be.
 */
export function meshYaml(mtls: "permissive" | "off" = "permissive", samplingRate = 0.05): string {
  const services = CHAIN.map(
    ({ service }) =>
      `kind: Service\nmetadata:\n  name: ${service}\nspec:\n  ports:\n    - port: 8080\n      protocol: http\n`,
  );
  return [
    `kind: Mesh\nmetadata:\n  name: default\nspec:\n  mtls:\n    mode: ${mtls}\n  tracing:\n    samplingRate: ${samplingRate}\n`,
    ...services,
  ].join("---\n");
}

/** Where and how one instance runs: a network namespace wraps its commands and gives it its own address. */
export interface Placement {
  /** Address the proxy's inbound and admin listeners bind to, and peers dial. */
  address: string;
  /** Prefix for the command line (e.g. `ip netns exec NS`). */
  commandPrefix?: readonly string[];
}

export interface ControlPlaneAccess {
  admin: ApiClient;
  dataplaneUrl: string;
  apiUrl: string;
  caFile: string;
}

export interface ChainInstance {
  service: ChainService;
  /** Also the dataplane name the proxy registers. */
  name: string;
  app: ProcessHandle;
  proxy: ProcessHandle;
  address: string;
  inboundPort: number;
  adminUrl: string;
  /** What started it, with its ports: `startInstance(instance.restart)` brings it back where it was. */
  restart: StartInstanceOptions;
}

export interface StartInstanceOptions {
  service: ChainService;
  name: string;
  dir: string;
  controlPlane: ControlPlaneAccess;
  placement?: Placement;
  /** Reuse these ports (a restarted instance comes back where it was). */
  ports?: { inbound: number; app: number; outbound: number; admin: number };
}

/** One instance of a chain service: its app (chain-app.mjs) and a managed loom-proxy in front of it. */
export async function startInstance(options: StartInstanceOptions): Promise<ChainInstance> {
  const { service, name, dir, controlPlane } = options;
  const placement = options.placement ?? { address: "127.0.0.1" };
  const calls = CHAIN.find((entry) => entry.service === service)?.calls;
  const ports = options.ports ?? {
    inbound: await freePort(),
    app: await freePort(),
    outbound: await freePort(),
    admin: await freePort(),
  };
  const prefix = placement.commandPrefix ?? [];
  const run = (args: string[]) =>
    prefix.length > 0
      ? { command: prefix[0] as string, args: [...prefix.slice(1), process.execPath, ...args] }
      : { command: process.execPath, args };

  const app = await startProcess({
    name: `app ${name}`,
    ...run([CHAIN_APP]),
    env: {
      SERVICE: service,
      APP_PORT: String(ports.app),
      CALLS_URL: calls && `http://127.0.0.1:${ports.outbound}`,
    },
    ready: { line: /listening/ },
  });
  const { token } = await controlPlane.admin.tokens.dataplane.create.mutate({ service });
  const tokenFile = path.join(dir, `${name}.token`);
  await writeFile(tokenFile, token);
  const bootstrap: BootstrapInput = {
    name,
    dataplane: {
      service,
      address: placement.address,
      tags: { version: "v1" },
      inbound: [{ port: ports.inbound, appPort: ports.app }],
      outbounds: calls ? [{ service: calls, port: ports.outbound }] : [],
    },
    adminPort: ports.admin,
    controlPlane: { url: controlPlane.dataplaneUrl, caFile: controlPlane.caFile, tokenFile },
    tracing: { otlpUrl: `${controlPlane.apiUrl}/v1/traces` },
  };
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(bootstrap));
  const proxy = await startProcess({
    name: `proxy ${name}`,
    ...run([LOOM_PROXY_BIN, "--bootstrap", file]),
    ready: { line: /started/ },
  });
  const adminUrl = `http://${placement.address}:${ports.admin}`;
  await waitForHttp(`${adminUrl}/ready`, { timeoutMs: 30_000 });
  return {
    service,
    name,
    app,
    proxy,
    address: placement.address,
    inboundPort: ports.inbound,
    adminUrl,
    restart: { ...options, ports },
  };
}

/** Until every named dataplane is online and has acked a snapshot, as the control plane sees it. */
export function waitForDataplanes(admin: ApiClient, names: readonly string[], timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const online = await admin.dataplanes.list.query({ status: "online" });
      return names.every((name) =>
        online.some((proxy) => proxy.name === name && proxy.ackedVersion !== null),
      );
    },
    { what: `${names.join(", ")} online with an acked snapshot`, timeoutMs },
  );
}

/** The snapshot a proxy applied, from its admin /config. */
export async function appliedSnapshot(
  instance: ChainInstance,
): Promise<{ version: string } & Record<string, unknown>> {
  const response = await fetch(`${instance.adminUrl}/config`);
  return (await response.json()) as { version: string } & Record<string, unknown>;
}

/** The sum of a counter's series on a proxy's /metrics, over those whose labels contain `labelText`. */
export async function metricSum(instance: ChainInstance, name: string, labelText = ""): Promise<number> {
  const text = await (await fetch(`${instance.adminUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(labelText))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Requests this instance's proxy passed to its app. */
export function inboundRequests(instance: ChainInstance): Promise<number> {
  return metricSum(instance, "loom_requests_total", 'direction="inbound"');
}
