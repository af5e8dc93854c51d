import type http2 from "node:http2";

export interface GrpcResult {
  messages: string[];
  status: string | undefined;
  message: string | undefined;
}

function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/**
 * One gRPC call over h2c with length-prefixed UTF-8 messages. `send` writes the request messages; `onMessage`
 * sees each response message as it arrives (to drive a bidirectional exchange).
 */
export function grpcCall(
  session: http2.ClientHttp2Session,
  method: string,
  send: (write: (message: string) => void, end: () => void) => void,
  onMessage?: (message: string, write: (message: string) => void, end: () => void) => void,
): Promise<GrpcResult> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": method,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const result: GrpcResult = { messages: [], status: undefined, message: undefined };
    const write = (message: string) => stream.write(frame(message));
    const end = () => stream.end();
    let buffered = Buffer.alloc(0);
    stream.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) {
        result.status = String(headers["grpc-status"]);
        result.message = headers["grpc-message"] as string | undefined;
      }
    });
    stream.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 5) {
        const length = buffered.readUInt32BE(1);
        if (buffered.length < 5 + length) break;
        const message = buffered.subarray(5, 5 + length).toString();
        result.messages.push(message);
        onMessage?.(message, write, end);
        buffered = buffered.subarray(5 + length);
      }
    });
    stream.on("trailers", (trailers) => {
      result.status = String(trailers["grpc-status"]);
      result.message = trailers["grpc-message"] as string | undefined;
    });
    stream.on("close", () => resolve(result));
    stream.on("error", reject);
    send(write, end);
  });
}
