import type { ServerResponse } from "node:http";
import type { Rejection } from "../filters/rejection.ts";

/** Answers from the proxy itself (denied, rate limited, no upstream...). */
export function reply(res: ServerResponse, rejection: Rejection): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = [
    "Content-Type",
    "text/plain; charset=utf-8",
    "Content-Length",
    String(Buffer.byteLength(rejection.body)),
  ];
  if (rejection.headers) headers.push(...rejection.headers);
  res.writeHead(rejection.status, headers);
  res.end(rejection.body);
}
