import {
  checkResource,
  DEFAULT_NAMESPACE,
  KINDS,
  nameSchema,
  type Resource,
  ResourceValidationError,
  validateResources,
} from "@loom/spec";
import { z } from "zod";
import { dataplaneResource } from "../../dataplane/index.ts";
import { toResource } from "../../resources/to-resource.ts";
import { NotFoundError } from "../../store/index.ts";
import { whatIf } from "../../what-if/index.ts";
import { createRouter, editorProcedure } from "../init.ts";

export const whatIfRouter = createRouter({
  /**
   * A dry run before applying (or deleting) a resource: which proxies would get new config, and what the last
   * 15 minutes of traffic would have met. Nothing is written. A mutation only so large YAML goes in a body.
   */
  run: editorProcedure
    .input(
      z.discriminatedUnion("action", [
        z.object({ action: z.literal("apply"), resource: z.unknown() }),
        z.object({
          action: z.literal("delete"),
          kind: z.enum(KINDS),
          mesh: nameSchema,
          namespace: nameSchema.default(DEFAULT_NAMESPACE),
          name: nameSchema,
        }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      let resource: Resource;
      let current: Resource[];
      if (input.action === "apply") {
        // The checks a write would run: the resource's own schema, then what it refers to.
        const check = checkResource(input.resource);
        if (check.resource === undefined) throw new ResourceValidationError(check.errors);
        resource = check.resource;
        current = (await ctx.store.resources.list({ mesh: meshOf(resource) })).map(toResource);
        const errors = validateResources([resource], { known: current });
        if (errors.length > 0) throw new ResourceValidationError(errors);
      } else {
        const { action: _, ...key } = input;
        const stored = await ctx.store.resources.get(key);
        if (stored === null)
          throw new NotFoundError(`${key.kind} "${key.namespace}/${key.name}" does not exist`);
        resource = toResource(stored);
        current = (await ctx.store.resources.list({ mesh: meshOf(resource) })).map(toResource);
      }
      const dataplanes = await ctx.store.dataplanes.list({ mesh: meshOf(resource), status: "online" });
      return whatIf({
        resources: current,
        dataplanes: dataplanes.map(dataplaneResource),
        trustBundle: ctx.trustBundlePem,
        metrics: ctx.observability.metrics,
        action: input.action,
        resource,
      });
    }),
});

/** A Mesh resource describes the mesh it names. */
function meshOf(resource: Resource): string {
  return resource.kind === "Mesh" ? resource.metadata.name : resource.metadata.mesh;
}
