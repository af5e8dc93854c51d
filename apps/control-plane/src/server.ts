import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Counter, type Registry } from "prom-client";

/**
 * One part of a listener's URL space. Returns true when it served the request, false to let the next mount
 * (or the 404) have it: the data-plane API's `handle` already has this shape.
 */
export type Mount = (req: IncomingMessage, res: ServerResponse) => boolean;

/** A mount for every path under `prefix` (e.g. "/api/trpc/"). */
export function atPrefix(
  prefix: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Mount {
  return (req, res) => {
    if (!(req.url ?? "/").startsWith(prefix)) return false;
    handler(req, res);
    return true;
  };
}

export interface ListenerOptions {
  host: string;
  /** 0 picks a free port; the server reports the one it got. */
  port: number;
  mounts: readonly Mount[];
}

export interface LoomServerOptions {
  /** Plain HTTP for the console (through its same-origin rewrite), loomctl and Prometheus: tRPC, /metrics. */
  api: ListenerOptions;
  /** HTTPS with the CA's server certificate, for proxies: the data-plane API. */
  dataplane: ListenerOptions & { tls: { cert: string; key: string } };
  metrics: Registry;
  /** How long in-flight requests may take to finish on close; open event streams are cut at once. */
  drainTimeoutMs: number;
}

export interface LoomServer {
  apiUrl: string;
  dataplaneUrl: string;
  /** Swaps the data-plane listener's certificate for new connections (renewal). */
  setDataplaneCertificate(tls: { cert: string; key: string }): void;
  /** Stops accepting, lets in-flight requests finish (up to drainTimeoutMs), then closes every connection. */
  close(): Promise<void>;
}

export async function startLoomServer(options: LoomServerOptions): Promise<LoomServer> {
  const requests = new Counter({
    name: "loom_cp_http_requests_total",
    help: "HTTP requests the control plane answered, by listener and status code.",
    labelNames: ["listener", "code"] as const,
    registers: [options.metrics],
  });
  const inFlight = new Set<ServerResponse>();

  function requestListener(listener: "api" | "dataplane", mounts: readonly Mount[]) {
    return (req: IncomingMessage, res: ServerResponse) => {
      inFlight.add(res);
      res.once("close", () => {
        inFlight.delete(res);
        requests.inc({ listener, code: String(res.statusCode) });
      });
      const path = new URL(req.url ?? "/", "http://loom").pathname;
      if (path === "/healthz") return void sendText(res, 200, "ok\n");
      if (listener === "api" && path === "/metrics") return void serveMetrics(options.metrics, res);
      try {
        if (mounts.some((mount) => mount(req, res))) return;
      } catch (error) {
        console.error(`${listener} ${req.method} ${path}:`, error);
        if (!res.headersSent) return void sendText(res, 500, "internal error\n");
        return void res.destroy();
      }
      req.resume();
      sendText(res, 404, `no ${path} here\n`);
    };
  }

  const api = http.createServer(requestListener("api", options.api.mounts));
  const dataplane = https.createServer(
    { ...options.dataplane.tls, minVersion: "TLSv1.2" },
    requestListener("dataplane", options.dataplane.mounts),
  );
  // A proxy ACKs on its kept-alive connection whenever config changes, often more than Node's default 5 s
  // apart; a server closing that connection as idle races the proxy's next ACK (a reset, and the ACK is lost).
  dataplane.keepAliveTimeout = 120_000;
  const apiPort = await listen(api, options.api);
  const dataplanePort = await listen(dataplane, options.dataplane);

  return {
    apiUrl: `http://${hostForUrl(options.api.host)}:${apiPort}`,
    dataplaneUrl: `https://${hostForUrl(options.dataplane.host)}:${dataplanePort}`,
    setDataplaneCertificate: (tls) => dataplane.setSecureContext({ ...tls, minVersion: "TLSv1.2" }),
    async close() {
      const closed = Promise.all(
        [api, dataplane].map((server) => new Promise((resolve) => server.close(resolve))),
      );
      for (const server of [api, dataplane]) server.closeIdleConnections();
      const deadline = Date.now() + options.drainTimeoutMs;
      while ([...inFlight].some((res) => !isEventStream(res)) && Date.now() < deadline) await sleep(25);
      for (const server of [api, dataplane]) server.closeAllConnections();
      await closed;
    },
  };
}

/** Event streams (subscriptions, snapshot streams) never finish on their own; clients reconnect elsewhere. */
function isEventStream(res: ServerResponse): boolean {
  return String(res.getHeader("content-type") ?? "").startsWith("text/event-stream");
}

async function serveMetrics(registry: Registry, res: ServerResponse): Promise<void> {
  try {
    const body = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType }).end(body);
  } catch (error) {
    console.error("/metrics:", error);
    sendText(res, 500, "metrics unavailable\n");
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text);
}

function listen(server: http.Server, { host, port }: ListenerOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
