import { type CallerRef, callerMatches } from "@loom/spec";

/** A policy with no `from` list applies to every caller. */
export function appliesToCaller(
  from: readonly { targetRef: CallerRef }[] | undefined,
  source: string,
): boolean {
  return from === undefined || from.some((entry) => callerMatches(entry.targetRef, source));
}
