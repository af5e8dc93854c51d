import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { type BootstrapInput, DATAPLANE_API, type RegisterRequest } from "@loom/spec";
import { freePort, type ProcessHandle, startProcess, waitFor } from "@loom/test-harness";
import type { RunningControlPlane } from "../../../e2e/support/control-plane.ts";
import { LOOM_PROXY_BIN } from "../../../e2e/support/paths.ts";

const run = promisify(execFile);

/** The mesh's root as loom-cp generated it: what proxies trust, and (read by tests only) what signs leaves. */
export function caFiles(controlPlane: RunningControlPlane): { certFile: string; keyFile: string } {
  return {
    certFile: path.join(controlPlane.dataDir, "ca", "root.crt"),
    keyFile: path.join(controlPlane.dataDir, "ca", "root.key"),
  };
}

/** An app that answers 200 and counts requests by path, so a test can tell whether anything got through. */
export interface CountingApp {
  port: number;
  hits(pathPrefix: string): number;
  close(): Promise<void>;
}

export async function startCountingApp(): Promise<CountingApp> {
  const byPath = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    const url = req.url ?? "/";
    byPath.set(url, (byPath.get(url) ?? 0) + 1);
    res.writeHead(200, { "content-type": "text/plain" }).end("app ok\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits: (prefix) =>
      [...byPath].filter(([url]) => url.startsWith(prefix)).reduce((sum, [, count]) => sum + count, 0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ManagedProxy {
  process: ProcessHandle;
  inboundPort: number;
  adminUrl: string;
}

/** A real loom-proxy registered with the control plane by a fresh dataplane token, in front of `appPort`. */
export async function startManagedProxy(
  controlPlane: RunningControlPlane,
  {
    service,
    appPort,
    tags = { version: "v1" },
  }: { service: string; appPort: number; tags?: Record<string, string> },
): Promise<ManagedProxy> {
  const [inboundPort, adminPort] = await Promise.all([freePort(), freePort()]);
  const { token } = await controlPlane.admin.tokens.dataplane.create.mutate({ service });
  // Tags are free text (a test may put markup there), so the name uses the port instead.
  const name = `${service}-${inboundPort}`;
  const bootstrap: BootstrapInput = {
    name,
    dataplane: { service, tags, inbound: [{ port: inboundPort, appPort }], outbounds: [] },
    adminPort,
    controlPlane: { url: controlPlane.dataplaneUrl, caFile: caFiles(controlPlane).certFile, token },
  };
  const file = path.join(controlPlane.dataDir, `${name}.json`);
  await writeFile(file, JSON.stringify(bootstrap));
  const proxy = await startProcess({
    name: `proxy ${name}`,
    command: process.execPath,
    args: [LOOM_PROXY_BIN, "--bootstrap", file],
    ready: { line: /started/ },
  });
  return { process: proxy, inboundPort, adminUrl: `http://127.0.0.1:${adminPort}` };
}

/** Until every registered proxy is online and has acked the newest snapshot it was sent. */
export function waitForProxiesOnline(controlPlane: RunningControlPlane, count: number): Promise<unknown> {
  return waitFor(
    async () => {
      const online = await controlPlane.admin.dataplanes.list.query({ status: "online" });
      return online.length >= count && online.every((proxy) => proxy.ackedVersion !== null);
    },
    { what: `${count} proxies to register and ack their first snapshot`, timeoutMs: 60_000 },
  );
}

export interface DataplaneApiAnswer {
  status: number;
  body: string;
}

/** One call to the control plane's HTTPS data-plane API, as a proxy (or a thief holding its token) makes it. */
export function dataplaneApi(
  controlPlane: RunningControlPlane,
  caPem: string,
  method: "GET" | "POST",
  apiPath: string,
  { token, body }: { token?: string; body?: unknown } = {},
): Promise<DataplaneApiAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      new URL(apiPath, controlPlane.dataplaneUrl),
      {
        method,
        ca: caPem,
        headers: {
          ...(token && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        timeout: 10_000,
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
          // A stream the API accepted never ends on its own; its first bytes are enough to judge it.
          if (apiPath.startsWith(DATAPLANE_API.stream)) response.destroy();
        });
        response.on("close", () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on("timeout", () => request.destroy(new Error(`${method} ${apiPath} timed out`)));
    request.on("error", reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export function registration(name: string, service: string): RegisterRequest {
  return {
    name,
    mesh: "default",
    namespace: "default",
    adminPort: 9901,
    spec: { service, tags: {}, address: "127.0.0.1", inbound: [], outbounds: [], gateway: false },
  };
}

/** A fresh EC key and a CSR made by openssl, optionally asking for a URI SAN. */
export async function opensslCsr(
  dir: string,
  name: string,
  subjectAltName?: string,
): Promise<{ csrPem: string; keyFile: string }> {
  const keyFile = path.join(dir, `${name}.key`);
  const csrFile = path.join(dir, `${name}.csr`);
  await run("openssl", [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    keyFile,
    "-subj",
    `/CN=${name}`,
    ...(subjectAltName ? ["-addext", `subjectAltName=${subjectAltName}`] : []),
    "-out",
    csrFile,
  ]);
  return { csrPem: await readFile(csrFile, "utf8"), keyFile };
}

/** Runs `task` for 0..count-1, at most `concurrency` at a time (two cores: a handful of clients is plenty). */
export async function inPool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}
