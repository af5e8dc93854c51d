import type { RequestListener } from "node:http";
import http from "node:http";
import type { ProxyMetrics } from "../telemetry/metrics.ts";
import { Listener } from "./listener.ts";

export interface AdminState {
  readonly metrics: ProxyMetrics;
  /** Serving on an applied config, and not draining. */
  isReady(): boolean;
  /** The snapshot in force, as applied. */
  currentSnapshot(): unknown;
  /** Serves /tap (it checks the caller's token itself). */
  tap: RequestListener;
}

/** /metrics for Prometheus and the telemetry hub, /ready for orchestrators, /config and /tap for operators. */
export function createAdminListener(state: AdminState): Listener {
  const server = http.createServer(async (req, res) => {
    const path = req.url?.split("?")[0];
    try {
      if (path === "/metrics") {
        const body = await state.metrics.registry.metrics();
        res.writeHead(200, { "Content-Type": state.metrics.registry.contentType }).end(body);
      } else if (path === "/ready") {
        const ready = state.isReady();
        res
          .writeHead(ready ? 200 : 503, { "Content-Type": "text/plain" })
          .end(ready ? "ready\n" : "not ready\n");
      } else if (path === "/tap") {
        state.tap(req, res);
      } else if (path === "/config") {
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify(state.currentSnapshot() ?? null, null, 2));
      } else {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      }
    } catch (error) {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(`${(error as Error).message}\n`);
    }
  });
  return new Listener(server, { closeIdle: () => server.closeIdleConnections() });
}
