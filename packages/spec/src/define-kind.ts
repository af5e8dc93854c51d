import { z } from "zod";
import { metadataSchema } from "./metadata.ts";

/** Every resource is `{ kind, metadata, spec }`; this builds that envelope around one kind's spec schema. */
export function defineKind<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.object({ kind: z.literal(kind), metadata: metadataSchema, spec });
}
