import http from "node:http";
import http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import type { Behaviour } from "../topology.ts";
import {
  type GrpcService,
  HttpError,
  type HttpService,
  type ServiceModule,
  type ShopReply,
  type ShopRequest,
} from "./app-kit.ts";
import type { AppInstanceConfig } from "./config.ts";
import { frameMessage, GRPC_CONTENT_TYPE, GrpcError, GrpcStatus, readBody, unframeMessage } from "./grpc.ts";
import { SidecarClients, UpstreamError } from "./upstream.ts";

const MAX_BODY_BYTES = 64 * 1024;

/** What an instance has answered since it started: the counts the demo test and the e2e suite read. */
export interface InstanceCounters {
  requests: number;
  /** Answers other than 2xx (gRPC: a status other than OK), injected or not. */
  failed: number;
  /** Failures the errorRate injected. */
  injected: number;
}

/** One app instance of the shop: a real server on its own port, only ever called by its own sidecar. */
export class AppInstance {
  readonly counters: InstanceCounters = { requests: 0, failed: 0, injected: 0 };
  behaviour: Behaviour;
  readonly #clients: SidecarClients;
  #server: http.Server | http2.Http2Server | undefined;

  constructor(
    readonly config: AppInstanceConfig,
    private readonly module: ServiceModule,
  ) {
    this.behaviour = { ...config.behaviour };
    this.#clients = new SidecarClients(config.upstreams);
  }

  async start(): Promise<void> {
    const server =
      this.module.protocol === "grpc" ? this.#grpcServer(this.module) : this.#httpServer(this.module);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.config.port, "127.0.0.1", () => resolve());
    });
  }

  close(): void {
    this.#clients.close();
    this.#server?.close();
  }

  /** Work takes time: a log-normal delay around latencyMs, and errorRate of the requests fail. */
  async #simulateWork(): Promise<boolean> {
    const { latencyMs, errorRate } = this.behaviour;
    const normal = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
    await sleep(Math.min(latencyMs * Math.exp(0.5 * normal), latencyMs * 10));
    const fail = Math.random() < errorRate;
    if (fail) this.counters.injected += 1;
    return fail;
  }

  #httpServer(module: HttpService): http.Server {
    const server = http.createServer((req, res) => {
      this.counters.requests += 1;
      this.#answerHttp(module, req)
        .catch((error: unknown) => errorReply(error))
        .then((reply) => {
          if (reply.status < 200 || reply.status > 299) this.counters.failed += 1;
          const body = "html" in reply ? reply.html : `${JSON.stringify(reply.json)}\n`;
          res.writeHead(reply.status, {
            "content-type": "html" in reply ? "text/html; charset=utf-8" : "application/json",
            "x-demo-instance": this.config.name,
          });
          res.end(body);
        })
        .catch(() => res.destroy());
    });
    server.keepAliveTimeout = 60_000;
    return server;
  }

  async #answerHttp(module: HttpService, req: http.IncomingMessage): Promise<ShopReply> {
    const body = await readBody(req);
    if (body.length > MAX_BODY_BYTES) throw new HttpError(413, "body too large");
    if (await this.#simulateWork())
      return { status: 503, json: { error: `${this.config.name} failed (injected by its errorRate)` } };
    const url = new URL(req.url ?? "/", "http://app");
    const request: ShopRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      body: body.length > 0 ? parseJson(body) : undefined,
      instance: { name: this.config.name, version: this.config.version },
    };
    return module.handle(request, this.#clients.forRequest(traceparentOf(req.headers.traceparent)));
  }

  #grpcServer(module: GrpcService): http2.Http2Server {
    const server = http2.createServer();
    server.on("stream", (stream, headers) => {
      this.counters.requests += 1;
      stream.on("error", () => {});
      this.#answerGrpc(module, stream, headers).then(
        (message) => {
          stream.respond({ ":status": 200, "content-type": GRPC_CONTENT_TYPE }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(GrpcStatus.OK) }));
          stream.end(frameMessage(message));
        },
        (error: unknown) => {
          this.counters.failed += 1;
          const failure =
            error instanceof GrpcError ? error : new GrpcError(GrpcStatus.UNKNOWN, errorMessage(error));
          // Trailers-only: the status travels in the only HEADERS frame, as gRPC servers answer errors.
          stream.respond(
            {
              ":status": 200,
              "content-type": GRPC_CONTENT_TYPE,
              "grpc-status": String(failure.code),
              "grpc-message": encodeURIComponent(failure.message),
            },
            { endStream: true },
          );
        },
      );
    });
    return server;
  }

  async #answerGrpc(
    module: GrpcService,
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ): Promise<unknown> {
    const method = module.methods[String(headers[":path"])];
    const body = await readBody(stream);
    if (await this.#simulateWork())
      throw new GrpcError(GrpcStatus.UNAVAILABLE, `${this.config.name} failed (injected by its errorRate)`);
    if (method === undefined) throw new GrpcError(GrpcStatus.UNIMPLEMENTED, `no method ${headers[":path"]}`);
    return method(unframeMessage(body), this.#clients.forRequest(traceparentOf(headers.traceparent)));
  }
}

function traceparentOf(header: string | string[] | undefined): string | undefined {
  return typeof header === "string" ? header : undefined;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}

function errorReply(error: unknown): ShopReply {
  if (error instanceof HttpError) return { status: error.status, json: { error: error.message } };
  // A failed dependency makes this service fail too: that is how errors travel up the graph.
  if (error instanceof UpstreamError) return { status: 502, json: { error: error.message } };
  return { status: 500, json: { error: errorMessage(error) } };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
