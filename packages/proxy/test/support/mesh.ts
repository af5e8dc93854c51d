import { mkdtemp, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { bootstrapSchema, endpointSchema, outboundSnapshotSchema, snapshotSchema } from "@loom/spec";
import { freePort, type ProcessHandle, startProcess, waitForLine } from "@loom/test-harness";
import type { z } from "zod";

export type SnapshotInput = z.input<typeof snapshotSchema>;
export type OutboundInput = z.input<typeof outboundSnapshotSchema>;
export type EndpointInput = z.input<typeof endpointSchema>;
export type BootstrapInput = z.input<typeof bootstrapSchema>;

const here = path.dirname(fileURLToPath(import.meta.url));
const PROXY_BIN = path.resolve(here, "../../bin/loom-proxy.js");
const APPS = path.resolve(here, "../apps");

export function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "loom-proxy-test-"));
}

export interface SnapshotOptions {
  service: string;
  version?: string;
  mtls?: "off" | "permissive" | "strict";
  outbounds?: OutboundInput[];
  inbound?: SnapshotInput["inbound"];
  defaultTrafficPermission?: "Allow" | "Deny";
  samplingRate?: number;
  snapshotVersion?: string;
}

export function snapshot(options: SnapshotOptions): SnapshotInput {
  return {
    formatVersion: 1,
    version: options.snapshotVersion ?? "1",
    dataplane: {
      name: `${options.service}-1`,
      mesh: "default",
      namespace: "default",
      service: options.service,
      tags: options.version ? { version: options.version } : {},
    },
    mesh: {
      name: "default",
      spec: {
        mtls: { mode: options.mtls ?? "off", trustDomain: "loom.local" },
        defaultTrafficPermission: options.defaultTrafficPermission ?? "Allow",
        tracing: { samplingRate: options.samplingRate ?? 0 },
      },
      trustBundle: "",
    },
    inbound: options.inbound ?? {},
    outbounds: options.outbounds ?? [],
  };
}

export function endpoint(
  service: string,
  port: number,
  version = "v1",
  address = "127.0.0.1",
): EndpointInput {
  return {
    service,
    dataplane: `${service}-${version}-${port}`,
    address,
    port,
    tags: { version },
    identity: `spiffe://loom.local/ns/default/sa/${service}`,
    healthy: true,
  };
}

export interface ProxyOptions {
  name: string;
  service: string;
  version?: string;
  snapshot: SnapshotInput;
  inbound?: { port: number; appPort: number; protocol?: "http" | "http2" | "grpc" | "tcp" }[];
  tls?: { certFile: string; keyFile: string; caFile: string };
  otlpUrl?: string;
  accessLog?: boolean;
  env?: Record<string, string>;
}

export interface RunningProxy {
  process: ProcessHandle;
  adminUrl: string;
  bootstrapFile: string;
}

export async function startProxy(dir: string, options: ProxyOptions): Promise<RunningProxy> {
  const adminPort = await freePort();
  const bootstrap: BootstrapInput = {
    name: options.name,
    dataplane: {
      service: options.service,
      tags: options.version ? { version: options.version } : {},
      inbound: options.inbound ?? [],
    },
    adminPort,
    snapshot: options.snapshot,
    tls: options.tls,
    tracing: options.otlpUrl ? { otlpUrl: options.otlpUrl } : {},
    accessLog: options.accessLog ?? false,
  };
  const bootstrapFile = path.join(dir, `${options.name}.json`);
  await writeFile(bootstrapFile, JSON.stringify(bootstrap, null, 2));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const handle = await startProcess({
    name: options.name,
    command: process.execPath,
    args: [PROXY_BIN, "--bootstrap", bootstrapFile],
    env: options.env,
    ready: { url: `${adminUrl}/ready` },
  });
  return { process: handle, adminUrl, bootstrapFile };
}

export interface RunningApp {
  process: ProcessHandle;
  port: number;
  counts(): Promise<AppCounts>;
  reset(): Promise<void>;
  behave(behaviour: { failRate?: number; failStatus?: number; delayMs?: number }): Promise<void>;
}

export interface AppCounts {
  version: string;
  requests: number;
  byPath: Record<string, number>;
  byHeader: Record<string, number>;
  traceparents: number;
}

export async function startApp(
  name: string,
  version: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  const handle = await startProcess({
    name,
    command: process.execPath,
    args: [path.join(APPS, "http-app.mjs")],
    env: { VERSION: version, ...env },
  });
  const match = await waitForLine(handle, /listening on (\d+)/);
  const port = Number(match[1]);
  const base = `http://127.0.0.1:${port}`;
  return {
    process: handle,
    port,
    counts: async () => JSON.parse((await request(`${base}/__counts`)).body) as AppCounts,
    reset: async () => {
      await request(`${base}/__reset`);
    },
    behave: async (behaviour) => {
      await request(`${base}/__behaviour`, { method: "POST", body: JSON.stringify(behaviour) });
    },
  };
}

export async function startTcpEcho(name: string): Promise<{ process: ProcessHandle; port: number }> {
  const handle = await startProcess({
    name,
    command: process.execPath,
    args: [path.join(APPS, "tcp-echo.mjs")],
  });
  const match = await waitForLine(handle, /listening on (\d+)/);
  return { process: handle, port: Number(match[1]) };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP/1.1 request over a shared keep-alive pool. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers,
        agent,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Sends `count` requests with at most `concurrency` in flight; returns the statuses in order of completion. */
export async function sendMany(
  count: number,
  concurrency: number,
  send: (index: number) => Promise<SimpleResponse>,
): Promise<SimpleResponse[]> {
  const results: SimpleResponse[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results.push(await send(index));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
