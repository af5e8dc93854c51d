import type { ResourceError } from "@loom/spec";
import { TRPCClientError } from "@trpc/client";

/** A mistake in how loomctl was called: printed without a stack. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Problems found before anything was sent; each is already formatted with its kind, name, line and field. */
export class InvalidResourcesError extends Error {
  constructor(readonly errors: readonly ResourceError[]) {
    super(errors.map((error) => error.formatted).join("\n"));
  }
}

/** What to print for an error, in the words the server or the spec used. */
export function describeError(error: unknown, server: string): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string; resourceErrors?: ResourceError[] } | undefined;
    if (data?.resourceErrors?.length)
      return data.resourceErrors.map((problem) => problem.formatted).join("\n");
    if (data?.code === "UNAUTHORIZED") return `${error.message}\nRun "loomctl login", or set LOOM_TOKEN.`;
    if (data === undefined || data === null) return `cannot reach loom-cp at ${server}: ${causeOf(error)}`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** fetch says only "fetch failed"; why (ECONNREFUSED, a bad port) is one cause further down. */
function causeOf(error: Error): string {
  const cause = error.cause as (Error & { cause?: { code?: string; message?: string } }) | undefined;
  return cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? error.message;
}
