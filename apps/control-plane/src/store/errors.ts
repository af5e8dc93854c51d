/** A write that lost a race or was based on a stale read; `currentVersion` is what the store holds now. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
  constructor(
    message: string,
    readonly currentVersion: number | null,
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/** Prisma's unique-constraint violation, whichever provider raised it. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}
