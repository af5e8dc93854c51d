import http from "node:http";
import net from "node:net";
import { durationMs, type OutboundSnapshot } from "@loom/spec";
import { dial } from "../http/dial.ts";
import type { EndpointState } from "./endpoint.ts";

type HealthCheckSpec = NonNullable<OutboundSnapshot["healthCheck"]>["spec"];

/**
 * Active health checks: every interval, each endpoint gets an HTTP GET of `path` over a connection dialled as
 * its pool dials them (so over mTLS when the mesh uses it) or, without a path, a TCP connect. `unhealthyThreshold` failures in a row
 * take it out of load balancing; `healthyThreshold` successes in a row bring it back.
 */
export class HealthChecker {
  private readonly timer: NodeJS.Timeout;
  private readonly streaks = new Map<EndpointState, number>();
  private readonly timeoutMs: number;

  constructor(
    private readonly spec: HealthCheckSpec,
    private readonly endpoints: readonly EndpointState[],
  ) {
    this.timeoutMs = durationMs(spec.timeout);
    this.timer = setInterval(() => this.checkAll(), durationMs(spec.interval));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private checkAll(): void {
    for (const endpoint of this.endpoints) {
      this.probe(endpoint).then((passed) => this.record(endpoint, passed));
    }
  }

  /** Positive streaks count successes, negative ones failures. */
  private record(endpoint: EndpointState, passed: boolean): void {
    const previous = this.streaks.get(endpoint) ?? 0;
    const streak = passed ? Math.max(previous, 0) + 1 : Math.min(previous, 0) - 1;
    this.streaks.set(endpoint, streak);
    if (passed && streak >= this.spec.healthyThreshold && !endpoint.passingHealthChecks) {
      endpoint.passingHealthChecks = true;
      endpoint.readmit();
    }
    if (!passed && -streak >= this.spec.unhealthyThreshold) endpoint.passingHealthChecks = false;
  }

  private probe(endpoint: EndpointState): Promise<boolean> {
    const { address, port } = endpoint.endpoint;
    const path = this.spec.path;
    return new Promise((resolve) => {
      if (path === undefined) {
        const socket = net.connect({ host: address, port, timeout: this.timeoutMs });
        socket.once("connect", () => resolve(true));
        socket.once("error", () => resolve(false));
        socket.once("timeout", () => resolve(false));
        socket.once("close", () => resolve(false));
        socket.once("connect", () => socket.destroy());
        socket.once("timeout", () => socket.destroy());
        return;
      }
      const request = http.request({
        host: address,
        port,
        path,
        // A connection of its own, dialled like the endpoint's pool does (mTLS included), closed after.
        createConnection: () => dial(endpoint.dialOptions),
        headers: { connection: "close" },
        timeout: this.timeoutMs,
      });
      request.once("response", (response) => {
        response.resume();
        resolve(response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 400);
      });
      request.once("timeout", () => request.destroy());
      request.once("error", () => resolve(false));
      request.end();
    });
  }
}
