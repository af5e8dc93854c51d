import { DEFAULT_MESH, DEFAULT_NAMESPACE, nameSchema } from "@loom/spec";
import { z } from "zod";
import { createRouter, editorProcedure, viewerProcedure } from "../init.ts";

const rolloutKeySchema = z.object({
  mesh: nameSchema.default(DEFAULT_MESH),
  namespace: nameSchema.default(DEFAULT_NAMESPACE),
  name: nameSchema,
});

export const rolloutsRouter = createRouter({
  /** Every Rollout with its phase, step, canary weight, last gate verdict and history. */
  list: viewerProcedure
    .input(z.object({ mesh: nameSchema.optional() }).default({}))
    .query(({ ctx, input }) => ctx.observability.rollouts.list(input.mesh)),

  get: viewerProcedure
    .input(rolloutKeySchema)
    .query(({ ctx, input }) => ctx.observability.rollouts.get(input)),

  /** Holds the Rollout at its step; its TrafficRoute can be edited while paused. */
  pause: editorProcedure
    .input(rolloutKeySchema)
    .mutation(({ ctx, input }) => ctx.observability.rollouts.pause(input, ctx.caller.actor)),

  /** Continues from the step it was paused at (its hold starts again). */
  resume: editorProcedure
    .input(rolloutKeySchema)
    .mutation(({ ctx, input }) => ctx.observability.rollouts.resume(input, ctx.caller.actor)),

  /** Sends all traffic back to the stable version and ends the Rollout. */
  abort: editorProcedure
    .input(rolloutKeySchema)
    .mutation(({ ctx, input }) => ctx.observability.rollouts.abort(input, ctx.caller.actor)),

  /** The Rollouts of a mesh (or one of them) each time they change, including hold countdowns. */
  onProgress: viewerProcedure
    .input(z.object({ mesh: nameSchema.optional(), name: nameSchema.optional() }).default({}))
    .subscription(async function* ({ ctx, input, signal }) {
      yield* ctx.observability.rollouts.watch(input, signal);
    }),
});
