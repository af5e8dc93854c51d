import {
  DEFAULT_MESH,
  nameSchema,
  POLICY_KINDS,
  type PolicyKind,
  type ResourceOf,
  resolvePrecedence,
  tagsSchema,
} from "@loom/spec";
import { z } from "zod";
import { toResource } from "../../resources/to-resource.ts";
import { createRouter, editorProcedure, viewerProcedure } from "../init.ts";
import { resourceProcedures } from "../resource-procedures.ts";

const policyKind = z.enum(POLICY_KINDS);

/** Every policy kind: CRUD by kind, which one is in force for a target, and YAML apply. */
export const policiesRouter = createRouter({
  ...resourceProcedures(policyKind),

  /**
   * The policy of `kind` that applies to a service (or one instance of it, by tags) and the ones it shadows,
   * decided by the same precedence function the config builder and the proxy use.
   */
  inForce: viewerProcedure
    .input(
      z.object({
        kind: policyKind,
        mesh: nameSchema.default(DEFAULT_MESH),
        service: nameSchema,
        tags: tagsSchema.optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const policies = (await ctx.store.resources.list({ kind: input.kind, mesh: input.mesh })).map(
        (stored) => toResource(stored) as ResourceOf<PolicyKind>,
      );
      const { inForce, shadowed } = resolvePrecedence(policies, { service: input.service, tags: input.tags });
      return { inForce: inForce ?? null, shadowed };
    }),

  /**
   * `inForce` for many services at once, without tags: what the graph needs to mark refused edges, where one
   * query per callee meant hundreds of calls (and policy reads) per live update on a big mesh.
   */
  inForceByService: viewerProcedure
    .input(
      z.object({
        kind: policyKind,
        mesh: nameSchema.default(DEFAULT_MESH),
        services: z.array(nameSchema).max(10_000),
      }),
    )
    .query(async ({ ctx, input }) => {
      const policies = (await ctx.store.resources.list({ kind: input.kind, mesh: input.mesh })).map(
        (stored) => toResource(stored) as ResourceOf<PolicyKind>,
      );
      return Object.fromEntries(
        input.services.map((service) => [service, resolvePrecedence(policies, { service }).inForce ?? null]),
      );
    }),

  /**
   * Multi-document YAML of any kinds (a policy file may carry the Services it names), applied all or nothing.
   * Invalid documents come back as BAD_REQUEST whose data.resourceErrors carry each line and field path.
   */
  applyYaml: editorProcedure
    .input(z.object({ text: z.string().max(4 * 1024 * 1024), source: z.string().max(500).optional() }))
    .mutation(async ({ ctx, input }) => ({
      results: await ctx.resources.applyYaml(input.text, input.source, ctx.caller.actor),
    })),
});
