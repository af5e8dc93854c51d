import {
  type Endpoint,
  formatPath,
  SNAPSHOT_FORMAT_VERSION,
  type Snapshot,
  streamedSnapshotSchema,
} from "@loom/spec";

/** What one snapshot event of the stream says, read as soon as it arrives. */
export type SnapshotEvent =
  | { kind: "snapshot"; version: string; snapshot: Snapshot }
  /** A snapshot this proxy cannot apply: NACKed with `error`. */
  | { kind: "invalid"; version: string; error: string }
  /** Nothing to answer: without a readable version there is nothing to ACK or NACK. */
  | { kind: "unreadable"; error: string }
  /** The stream and this proxy disagree on what was sent before: only a new stream (sent whole) mends that. */
  | { kind: "out-of-step"; error: string };

/** An event the proxy answers with an ACK or a NACK. */
export type AnswerableSnapshotEvent = Extract<SnapshotEvent, { version: string }>;

/**
 * Endpoint lists this stream delivered, by digest: those of the last snapshot event. The control plane names a
 * list by digest alone when its previous snapshot on the stream carried it, so both sides keep the same set.
 */
export type StreamEndpoints = Map<string, Endpoint[]>;

/**
 * Reads an event's JSON, validates it and puts back the endpoint lists it names by digest. Every event is
 * read in order as it arrives (only applying them is coalesced), so `endpoints` follows the stream exactly.
 */
export function readSnapshotEvent(eventData: string, endpoints: StreamEndpoints): SnapshotEvent {
  const delivered = new Map(endpoints);
  // Whatever this event turns out to be, the lists it carried are the ones the next event may name.
  endpoints.clear();
  let raw: { version?: unknown; formatVersion?: unknown };
  try {
    raw = JSON.parse(eventData) as typeof raw;
  } catch {
    return { kind: "unreadable", error: "the control plane sent a snapshot event that is not JSON" };
  }
  if (typeof raw?.version !== "string") {
    return { kind: "unreadable", error: "the control plane sent a snapshot without a version" };
  }
  const version = raw.version;
  if (raw.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    return {
      kind: "invalid",
      version,
      error: `snapshot formatVersion ${String(raw.formatVersion)} is not supported (this proxy applies ${SNAPSHOT_FORMAT_VERSION})`,
    };
  }
  const parsed = streamedSnapshotSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    return { kind: "invalid", version, error: `invalid snapshot: ${issues.join("; ")}` };
  }
  const outbounds: Snapshot["outbounds"] = [];
  for (const { endpointsDigest, endpoints: sent, ...outbound } of parsed.data.outbounds) {
    const list = sent ?? (endpointsDigest === undefined ? undefined : delivered.get(endpointsDigest));
    if (list === undefined) {
      endpoints.clear();
      return {
        kind: "out-of-step",
        error: `snapshot ${version} names endpoints ${endpointsDigest} of ${outbound.service} that this stream never delivered`,
      };
    }
    if (endpointsDigest !== undefined) endpoints.set(endpointsDigest, list);
    outbounds.push({ ...outbound, endpoints: list });
  }
  return { kind: "snapshot", version, snapshot: { ...parsed.data, outbounds } };
}
