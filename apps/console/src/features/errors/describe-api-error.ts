import type { AppRouter } from "@loom/control-plane/router";
import { TRPCClientError } from "@trpc/client";

export interface ApiErrorDescription {
  /** One sentence: what went wrong and what to do. */
  summary: string;
  /** One line per problem, e.g. `TrafficRoute "cart" (line 7) spec.rules[0].backendRefs: …`. */
  problems: string[];
}

function isApiError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}

/** The control plane's own words, with what the operator can do about codes that need a next step. */
export function describeApiError(error: unknown): ApiErrorDescription {
  if (!isApiError(error)) {
    return { summary: error instanceof Error ? error.message : String(error), problems: [] };
  }
  const data = error.data;
  const problems = data?.resourceErrors?.map((problem) => problem.formatted) ?? [];
  switch (data?.code) {
    case undefined:
      // No tRPC answer at all: the console's own server is down or the network dropped.
      return {
        summary: `The console's server did not answer (${error.message}). Retry in a moment.`,
        problems,
      };
    case "UNAUTHORIZED":
      return { summary: `${error.message}.`, problems };
    case "CONFLICT":
      return {
        summary: `${error.message}. Someone changed it after you loaded it: reload it, redo your change and apply again.`,
        problems,
      };
    case "BAD_REQUEST":
      // The per-problem lines say everything; the joined message would repeat them.
      return { summary: problems.length > 0 ? "The control plane refused it:" : error.message, problems };
    default:
      return { summary: error.message, problems };
  }
}
