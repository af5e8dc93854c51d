import http from "node:http";
import { GrpcChannel, GrpcError } from "./grpc.ts";

const CALL_TIMEOUT_MS = 5_000;

/** A call to another service failed: its status (HTTP, or gRPC as "grpc N"), or the transport error. */
export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    reason: string,
  ) {
    super(`${service}: ${reason}`);
  }
}

/** How a handler calls other services: always through its own sidecar, carrying the trace context. */
export interface Upstream {
  get<T>(service: string, path: string): Promise<T>;
  post<T>(service: string, path: string, body: unknown): Promise<T>;
  grpc<T>(service: string, method: string, message: unknown): Promise<T>;
}

/** One app instance's clients to its sidecar's outbound ports (keep-alive HTTP, one HTTP/2 session each). */
export class SidecarClients {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  readonly #channels = new Map<string, GrpcChannel>();

  constructor(private readonly ports: Record<string, number>) {}

  /** Clients for one incoming request: its traceparent goes on every call, so the proxies link the spans. */
  forRequest(traceparent: string | undefined): Upstream {
    const traceHeaders: Record<string, string> = traceparent === undefined ? {} : { traceparent };
    return {
      get: (service, path) => this.#http(service, "GET", path, undefined, traceHeaders),
      post: (service, path, body) => this.#http(service, "POST", path, body, traceHeaders),
      grpc: async (service, method, message) => {
        try {
          return (await this.#channel(service).call(method, message, traceHeaders)) as never;
        } catch (error) {
          const reason = error instanceof GrpcError ? `grpc ${error.code} ${error.message}` : String(error);
          throw new UpstreamError(service, reason);
        }
      },
    };
  }

  close(): void {
    this.#agent.destroy();
    for (const channel of this.#channels.values()) channel.close();
  }

  #port(service: string): number {
    const port = this.ports[service];
    if (port === undefined) throw new Error(`this instance has no sidecar port for ${service}`);
    return port;
  }

  #channel(service: string): GrpcChannel {
    let channel = this.#channels.get(service);
    if (channel === undefined) {
      channel = new GrpcChannel(`http://127.0.0.1:${this.#port(service)}`, CALL_TIMEOUT_MS);
      this.#channels.set(service, channel);
    }
    return channel;
  }

  #http<T>(
    service: string,
    method: string,
    path: string,
    body: unknown,
    traceHeaders: Record<string, string>,
  ): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: "127.0.0.1",
          port: this.#port(service),
          method,
          path,
          agent: this.#agent,
          timeout: CALL_TIMEOUT_MS,
          headers: {
            ...traceHeaders,
            accept: "application/json",
            ...(payload !== undefined && {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(payload),
            }),
          },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            text += chunk;
          });
          response.on("end", () => {
            const status = response.statusCode ?? 0;
            if (status < 200 || status > 299) {
              reject(new UpstreamError(service, `HTTP ${status} ${text.trim().slice(0, 200)}`));
              return;
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(new UpstreamError(service, "answered with something other than JSON"));
            }
          });
          response.on("error", (error) => reject(new UpstreamError(service, error.message)));
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS} ms`)));
      request.on("error", (error) => reject(new UpstreamError(service, error.message)));
      request.end(payload);
    });
  }
}
