import { EventEmitter, on } from "node:events";
import { z } from "zod";
import { buildServiceGraph, metricsWindowSchema } from "../../telemetry/index.ts";
import { createRouter, viewerProcedure } from "../init.ts";

const graphInput = z.object({ window: metricsWindowSchema.default("1m") }).default({ window: "1m" });

export const graphRouter = createRouter({
  /** Nodes per service (with its versions), edges caller → callee with rps, success rate, p99 and mTLS. */
  get: viewerProcedure
    .input(graphInput)
    .query(({ ctx, input }) => buildServiceGraph(ctx.observability.metrics, input.window)),

  /** The graph now, then again after every scrape. */
  onUpdate: viewerProcedure.input(graphInput).subscription(async function* ({ ctx, input, signal }) {
    const backend = ctx.observability.metrics;
    const relay = new EventEmitter();
    const unsubscribe = backend.onUpdate(() => relay.emit("update"));
    try {
      yield await buildServiceGraph(backend, input.window);
      for await (const _ of on(relay, "update", { signal }))
        yield await buildServiceGraph(backend, input.window);
    } catch (error) {
      if (!signal?.aborted) throw error;
    } finally {
      unsubscribe();
    }
  }),
});
