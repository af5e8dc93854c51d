import { classifyResponse } from "@loom/spec";
import type { TapSummary } from "./hub.ts";

export type TapFilter = (summary: TapSummary) => boolean;

const FIELDS = new Set([
  "method",
  "path",
  "status",
  "grpcStatus",
  "classification",
  "source",
  "destination",
  "direction",
]);
const STATUS = /^(?:[1-5][0-9]{2}|[1-5]xx)$/;

/**
 * Builds the filter of `GET /tap?method=&path=&status=&grpcStatus=&classification=&source=&destination=&direction=`:
 * every given field must match. `path` is a prefix, `status` a code (`503`) or a class (`5xx`), `grpcStatus`
 * a gRPC code (`14`), `classification` success or failure as success rates count them (gRPC failures
 * answered with HTTP 200 included), `method` ignores case, the others are exact. Empty values are ignored; an unknown field is an error rather than a
 * filter that silently matches everything.
 */
export function parseTapFilter(query: URLSearchParams): { filter: TapFilter } | { error: string } {
  const checks: TapFilter[] = [];
  for (const [field, value] of query) {
    if (!FIELDS.has(field)) {
      return { error: `unknown filter "${field}"; use ${[...FIELDS].join(", ")}` };
    }
    if (value === "") continue;
    switch (field) {
      case "method": {
        const method = value.toUpperCase();
        checks.push((summary) => summary.method === method);
        break;
      }
      case "path":
        checks.push((summary) => summary.path.startsWith(value));
        break;
      case "status": {
        const status = value.toLowerCase();
        if (!STATUS.test(status))
          return { error: `status must be a code such as 503 or a class such as 5xx` };
        checks.push(statusCheck(status));
        break;
      }
      case "grpcStatus": {
        const code = Number(value);
        if (!/^\d{1,2}$/.test(value)) return { error: "grpcStatus must be a gRPC status code such as 14" };
        checks.push((summary) => summary.grpcStatus === code);
        break;
      }
      case "classification":
        if (value !== "success" && value !== "failure")
          return { error: "classification must be success or failure" };
        checks.push((summary) => classifyResponse(summary.status, summary.grpcStatus) === value);
        break;
      case "source":
        checks.push((summary) => summary.source === value);
        break;
      case "destination":
        checks.push((summary) => summary.destination === value);
        break;
      case "direction":
        if (value !== "inbound" && value !== "outbound")
          return { error: "direction must be inbound or outbound" };
        checks.push((summary) => summary.direction === value);
        break;
    }
  }
  return { filter: (summary) => checks.every((check) => check(summary)) };
}

function statusCheck(status: string): TapFilter {
  if (status.endsWith("xx")) {
    const hundreds = Number(status[0]);
    return (summary) => summary.status !== undefined && Math.floor(summary.status / 100) === hundreds;
  }
  const code = Number(status);
  return (summary) => summary.status === code;
}
