import { classifyResponse, TAP_FILTER_FIELDS, tapFilterSchema } from "@loom/spec";
import type { TapSummary } from "./hub.ts";

export type TapFilter = (summary: TapSummary) => boolean;

/**
 * Builds the filter of `GET /tap?` with the fields of tapFilterSchema (packages/spec): every given field must
 * match; empty values are ignored. An unknown field is an error rather than a filter that silently matches
 * everything.
 */
export function parseTapFilter(query: URLSearchParams): { filter: TapFilter } | { error: string } {
  const fields: Record<string, string> = {};
  for (const [field, value] of query) {
    if (!(TAP_FILTER_FIELDS as string[]).includes(field))
      return { error: `unknown filter "${field}"; use ${TAP_FILTER_FIELDS.join(", ")}` };
    fields[field] = value;
  }
  const parsed = tapFilterSchema.safeParse(fields);
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? "invalid tap filter" };
  const checks: TapFilter[] = [];
  const given = parsed.data;
  if (given.method) {
    const method = given.method.toUpperCase();
    checks.push((summary) => summary.method === method);
  }
  const { path, source, destination, direction, classification } = given;
  if (path) checks.push((summary) => summary.path.startsWith(path));
  if (given.status) checks.push(statusCheck(given.status.toLowerCase()));
  if (given.grpcStatus) {
    const code = Number(given.grpcStatus);
    checks.push((summary) => summary.grpcStatus === code);
  }
  if (classification)
    checks.push((summary) => classifyResponse(summary.status, summary.grpcStatus) === classification);
  if (source) checks.push((summary) => summary.source === source);
  if (destination) checks.push((summary) => summary.destination === destination);
  if (direction) checks.push((summary) => summary.direction === direction);
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
