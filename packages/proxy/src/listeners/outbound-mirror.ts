import type { CompiledRule } from "../filters/traffic-route.ts";
import type { ConnectionWaiter, UpstreamPool } from "../http/pool.ts";
import type { UpstreamConnection, UpstreamExchange } from "../http/upstream-connection.ts";
import { pickEndpoint } from "../lb/p2c-ewma.ts";

/** Shadow copies of a request: fire and forget; their responses are discarded and never delay the caller. */
export function sendMirrors(rule: CompiledRule, head: string, body: Buffer, method: string): void {
  for (const mirror of rule.mirrors) {
    if (Math.random() * 100 >= mirror.percent) continue;
    const endpoint = pickEndpoint(mirror.backend.endpoints, Date.now());
    if (endpoint)
      new MirrorCall(endpoint.pool, head, body, method === "HEAD").start(rule.deadlines.requestMs);
  }
}

class MirrorCall implements UpstreamExchange, ConnectionWaiter {
  readonly wantsWireBody = true;
  private connection: UpstreamConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private over = false;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly head: string,
    private readonly body: Buffer,
    private readonly headRequest: boolean,
  ) {}

  start(timeoutMs: number): void {
    this.timer = setTimeout(this.onTimeout, timeoutMs);
    const connection = this.pool.acquire(this);
    if (connection) this.onConnection(connection);
  }

  onConnection(connection: UpstreamConnection): void {
    if (this.over) {
      this.pool.release(connection);
      return;
    }
    this.connection = connection;
    connection.send(this, this.head, this.body, this.headRequest);
  }

  onResponseHead(): void {}
  onResponseBody(): void {}
  onResponseFlush(): void {}
  onRequestDrain(): void {}

  onResponseEnd(): void {
    this.end();
  }

  onUpstreamError(): void {
    this.end();
  }

  private end(): void {
    this.over = true;
    clearTimeout(this.timer);
  }

  private readonly onTimeout = (): void => {
    if (this.over) return;
    this.over = true;
    if (this.connection) this.connection.abort(this);
    else this.pool.cancel(this);
  };
}
