import { z } from "zod";
import { nameSchema, tagsSchema } from "./common.ts";

const meshRefSchema = z.strictObject({ kind: z.literal("Mesh") });

const serviceRefSchema = z.strictObject({ kind: z.literal("Service"), name: nameSchema });

/**
 * A targetRef that names one service (routes, rollouts). A union of one, so a wrong kind is reported alone
 * instead of with the fields the wrong kind would have had.
 */
export const serviceTargetRefSchema = z.discriminatedUnion("kind", [serviceRefSchema]);
export type ServiceTargetRef = z.infer<typeof serviceTargetRefSchema>;

/** Tags that pick a subset of a service's instances; none would pick them all, which is what Service means. */
export const subsetTagsSchema = tagsSchema.refine(
  (tags) => Object.keys(tags).length > 0,
  "must name at least one tag",
);

/**
 * What a policy applies to, from least to most specific: the whole mesh, one service, or a subset of a
 * service's instances selected by tags (e.g. version).
 */
export const targetRefSchema = z.discriminatedUnion("kind", [
  meshRefSchema,
  serviceRefSchema,
  z.strictObject({ kind: z.literal("ServiceSubset"), name: nameSchema, tags: subsetTagsSchema }),
]);
export type TargetRef = z.infer<typeof targetRefSchema>;

/** Callers are identified by their SPIFFE identity, i.e. by service (or any caller, for the mesh). */
export const callerRefSchema = z.discriminatedUnion("kind", [meshRefSchema, serviceRefSchema]);
export type CallerRef = z.infer<typeof callerRefSchema>;
