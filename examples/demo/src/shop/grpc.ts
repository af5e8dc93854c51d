import http2 from "node:http2";

/**
 * Unary gRPC with JSON messages (content-type application/grpc+json): the real framing (length-prefixed
 * messages, status in trailers) over h2c, so the proxies carry genuine gRPC, without a protobuf toolchain.
 */
export const GRPC_CONTENT_TYPE = "application/grpc+json";

export const GrpcStatus = { OK: 0, UNKNOWN: 2, NOT_FOUND: 5, UNAVAILABLE: 14, UNIMPLEMENTED: 12 } as const;

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function frameMessage(message: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** The first length-prefixed message of a whole unary body. */
export function unframeMessage(body: Buffer): unknown {
  if (body.length < 5) return undefined;
  const length = body.readUInt32BE(1);
  return JSON.parse(body.subarray(5, 5 + length).toString("utf8"));
}

/** Everything the stream delivers until it ends or is closed (a cancelled stream just ends early). */
export function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const finish = () => resolve(Buffer.concat(chunks));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", finish);
    stream.on("close", finish);
    stream.on("error", reject);
  });
}

/** A client for one upstream port that reconnects after the session ends (the sidecar restarted, say). */
export class GrpcChannel {
  #session: http2.ClientHttp2Session | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async call(method: string, message: unknown, headers: http2.OutgoingHttpHeaders): Promise<unknown> {
    const stream = this.#connect().request({
      ...headers,
      ":method": "POST",
      ":path": method,
      "content-type": GRPC_CONTENT_TYPE,
      te: "trailers",
    });
    stream.setTimeout(this.timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    let status: string | undefined;
    let statusMessage: string | undefined;
    const takeStatus = (fields: http2.IncomingHttpHeaders) => {
      if (fields["grpc-status"] === undefined) return;
      status = String(fields["grpc-status"]);
      statusMessage = fields["grpc-message"] as string | undefined;
    };
    let httpStatus = 0;
    stream.on("response", (fields) => {
      httpStatus = Number(fields[":status"]);
      takeStatus(fields);
    });
    stream.on("trailers", takeStatus);
    stream.end(frameMessage(message));
    const body = await readBody(stream);
    if (httpStatus !== 200) throw new GrpcError(GrpcStatus.UNAVAILABLE, `HTTP ${httpStatus || "reset"}`);
    if (status !== String(GrpcStatus.OK))
      throw new GrpcError(Number(status ?? GrpcStatus.UNKNOWN), statusMessage ?? "no grpc-status");
    return unframeMessage(body);
  }

  close(): void {
    this.#session?.close();
  }

  #connect(): http2.ClientHttp2Session {
    if (this.#session === undefined || this.#session.closed || this.#session.destroyed) {
      const session = http2.connect(this.url);
      session.on("error", () => {});
      session.on("close", () => {
        if (this.#session === session) this.#session = undefined;
      });
      session.unref();
      this.#session = session;
    }
    return this.#session;
  }
}
