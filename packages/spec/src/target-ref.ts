import { z } from "zod";
import { nameSchema, tagsSchema } from "./common.ts";

/**
 * What a policy applies to, from least to most specific: the whole mesh, one service, or a subset of a
 * service's instances selected by tags (e.g. version).
 */
export const targetRefSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("Mesh") }),
  z.object({ kind: z.literal("Service"), name: nameSchema }),
  z.object({
    kind: z.literal("ServiceSubset"),
    name: nameSchema,
    tags: tagsSchema.refine((tags) => Object.keys(tags).length > 0, "a ServiceSubset needs at least one tag"),
  }),
]);
export type TargetRef = z.infer<typeof targetRefSchema>;

/** A targetRef that names one service (routes, rollouts). */
export const serviceTargetRefSchema = z.object({ kind: z.literal("Service"), name: nameSchema });

/** Callers are identified by their SPIFFE identity, i.e. by service (or any caller, for the mesh). */
export const callerRefSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("Mesh") }),
  z.object({ kind: z.literal("Service"), name: nameSchema }),
]);
export type CallerRef = z.infer<typeof callerRefSchema>;
