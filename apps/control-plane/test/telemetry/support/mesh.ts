import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BootstrapInput, SnapshotInput } from "@loom/spec";
import { freePort, type ProcessHandle, startProcess, waitForLine } from "@loom/test-harness";

const PROXY_BIN = path.resolve(import.meta.dirname, "../../../../../packages/proxy/bin/loom-proxy.js");
const TRAFFIC_APP = path.resolve(import.meta.dirname, "traffic-app.mjs");

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export interface TrafficBehaviour {
  delayMs: number;
  /** Share of requests answered 500, spread evenly. */
  failShare?: number;
}

export interface TrafficApp {
  process: ProcessHandle;
  port: number;
  behave(behaviour: Partial<TrafficBehaviour>): Promise<void>;
  counts(): Promise<{ served: number; failed: number }>;
}

/** An upstream whose latency and failure share the test sets (see traffic-app.mjs). */
export async function startTrafficApp(name: string, behaviour: TrafficBehaviour): Promise<TrafficApp> {
  const handle = await startProcess({
    name,
    command: process.execPath,
    args: [TRAFFIC_APP],
    env: { DELAY_MS: String(behaviour.delayMs), FAIL_SHARE: String(behaviour.failShare ?? 0) },
  });
  const match = await waitForLine(handle, /listening on (\d+)/);
  const url = `http://127.0.0.1:${Number(match[1])}`;
  return {
    process: handle,
    port: Number(match[1]),
    async behave(change) {
      await (await fetch(`${url}/__behaviour`, { method: "POST", body: JSON.stringify(change) })).text();
    },
    counts: async () => (await (await fetch(`${url}/__counts`)).json()) as { served: number; failed: number },
  };
}

export interface StandaloneProxyOptions {
  service: string;
  version: string;
  inbound?: { port: number; appPort: number };
  outbounds?: SnapshotInput["outbounds"];
}

export interface RunningProxy {
  process: ProcessHandle;
  adminPort: number;
  metricsUrl: string;
}

/** A real loom-proxy in standalone mode: a static snapshot with mTLS off. */
export async function startStandaloneProxy(
  dir: string,
  options: StandaloneProxyOptions,
): Promise<RunningProxy> {
  const adminPort = await freePort();
  const name = `${options.service}-${options.version}`;
  const tags = { version: options.version };
  const bootstrap: BootstrapInput = {
    name,
    dataplane: { service: options.service, tags, inbound: options.inbound ? [options.inbound] : [] },
    adminPort,
    snapshot: {
      formatVersion: 1,
      version: "1",
      dataplane: { name, mesh: "default", namespace: "default", service: options.service, tags },
      mesh: {
        name: "default",
        spec: { mtls: { mode: "off" }, tracing: { samplingRate: 0 } },
        trustBundle: "",
      },
      inbound: {},
      outbounds: options.outbounds ?? [],
    },
  };
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(bootstrap));
  const handle = await startProcess({
    name: `proxy ${name}`,
    command: process.execPath,
    args: [PROXY_BIN, "--bootstrap", file],
    ready: { url: `http://127.0.0.1:${adminPort}/ready` },
  });
  return { process: handle, adminPort, metricsUrl: `http://127.0.0.1:${adminPort}/metrics` };
}

export function endpoint(service: string, port: number, version: string) {
  return {
    service,
    dataplane: `${service}-${version}`,
    address: "127.0.0.1",
    port,
    tags: { version },
    identity: `spiffe://loom.local/ns/default/sa/${service}`,
    healthy: true,
  };
}

export interface ManagedProxyOptions {
  name: string;
  service: string;
  version: string;
  controlPlane: { url: string; caFile: string; token: string };
  inbound?: { port: number; appPort: number };
  outbounds?: { service: string; port: number }[];
  otlpUrl?: string;
}

/** A real loom-proxy under a real control plane: it registers, streams its snapshot and gets a certificate. */
export async function startManagedProxy(dir: string, options: ManagedProxyOptions): Promise<RunningProxy> {
  const adminPort = await freePort();
  const tokenFile = path.join(dir, `${options.name}.token`);
  await writeFile(tokenFile, options.controlPlane.token);
  const bootstrap: BootstrapInput = {
    name: options.name,
    dataplane: {
      service: options.service,
      tags: { version: options.version },
      inbound: options.inbound ? [options.inbound] : [],
      outbounds: options.outbounds ?? [],
    },
    adminPort,
    controlPlane: { url: options.controlPlane.url, caFile: options.controlPlane.caFile, tokenFile },
    tracing: options.otlpUrl ? { otlpUrl: options.otlpUrl } : {},
  };
  const file = path.join(dir, `${options.name}.json`);
  await writeFile(file, JSON.stringify(bootstrap));
  const handle = await startProcess({
    name: `proxy ${options.name}`,
    command: process.execPath,
    args: [PROXY_BIN, "--bootstrap", file],
    ready: { url: `http://127.0.0.1:${adminPort}/ready` },
    readyTimeoutMs: 30_000,
  });
  return { process: handle, adminPort, metricsUrl: `http://127.0.0.1:${adminPort}/metrics` };
}
