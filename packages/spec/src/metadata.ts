import { z } from "zod";
import { labelsSchema, nameSchema } from "./common.ts";

export const DEFAULT_MESH = "default";
export const DEFAULT_NAMESPACE = "default";

export const metadataSchema = z.strictObject({
  name: nameSchema,
  mesh: nameSchema.default(DEFAULT_MESH),
  namespace: nameSchema.default(DEFAULT_NAMESPACE),
  labels: labelsSchema.default({}),
  /** Set by the store on every write; a write that carries a stale one is refused. */
  resourceVersion: z.string().optional(),
  /** Set by the store on create; the precedence rule uses it ("oldest wins"). */
  creationTimestamp: z.iso.datetime({ offset: true }).optional(),
});
export type Metadata = z.infer<typeof metadataSchema>;

/** The identifying part of metadata, for messages that name a dataplane without the full envelope. */
export const identityFieldsSchema = metadataSchema.pick({ name: true, mesh: true, namespace: true });
