import type { CallerRef } from "@loom/spec";
import { UNKNOWN_SOURCE } from "@loom/spec";

/** Whether a policy's `from` entry names this caller (the service in its SPIFFE ID, or "unknown"). */
export function callerMatches(ref: CallerRef, source: string): boolean {
  return ref.kind === "Mesh" || (source !== UNKNOWN_SOURCE && ref.name === source);
}

/** A policy with no `from` list applies to every caller. */
export function appliesToCaller(
  from: readonly { targetRef: CallerRef }[] | undefined,
  source: string,
): boolean {
  return from === undefined || from.some((entry) => callerMatches(entry.targetRef, source));
}
