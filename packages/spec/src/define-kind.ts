import { z } from "zod";
import { metadataSchema } from "./metadata.ts";

/**
 * Every resource is `{ kind, metadata, spec }`; this builds that envelope around one kind's spec schema.
 * Resource schemas are strict throughout: a misspelt field is an error, never silently dropped.
 */
export function defineKind<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.strictObject({ kind: z.literal(kind), metadata: metadataSchema, spec });
}
