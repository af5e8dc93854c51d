import { nameSchema, timer } from "@loom/spec";
import { z } from "zod";
import { goldenMetrics, METRICS_WINDOWS_MS, metricsWindowSchema } from "../../telemetry/index.ts";
import { createRouter, viewerProcedure } from "../init.ts";

const groupingSchema = z.enum(["service", "version", "route", "edge"]);

export const metricsRouter = createRouter({
  /**
   * Golden metrics (rps, success rate, p50/p95/p99 in ms) per service, version, route or edge over a window;
   * `service` narrows to one service (for edges: calls to or from it).
   */
  golden: viewerProcedure
    .input(
      z.object({
        grouping: groupingSchema.default("service"),
        service: nameSchema.optional(),
        window: metricsWindowSchema.default("5m"),
      }),
    )
    .query(({ ctx, input }) => goldenMetrics(ctx.observability.metrics, input)),

  /** The same signals as points over the window, for charts; each point over max(step, 3 scrape intervals). */
  history: viewerProcedure
    .input(
      z.object({
        service: nameSchema,
        version: z.string().optional(),
        window: metricsWindowSchema.default("15m"),
        points: z.number().int().min(2).max(120).default(30),
      }),
    )
    .query(async ({ ctx, input }) => {
      const spanMs = METRICS_WINDOWS_MS[input.window];
      const stepMs = spanMs / input.points;
      const windowMs = Math.max(stepMs, 3 * timer("scrapeIntervalMs"));
      const now = Date.now();
      const where = {
        direction: "inbound",
        destination: input.service,
        ...(input.version === undefined ? {} : { destination_version: input.version }),
      } as const;
      return Promise.all(
        Array.from({ length: input.points }, async (_, index) => {
          const at = now - (input.points - 1 - index) * stepMs;
          const [stats] = await ctx.observability.metrics.traffic({ where, groupBy: [], windowMs, at });
          return {
            at: new Date(at).toISOString(),
            rps: stats?.rps ?? 0,
            successRate: stats?.successRate ?? null,
            latencyMs: stats?.latencyMs ?? { p50: null, p95: null, p99: null },
          };
        }),
      );
    }),

  /** Where metrics come from, and for the built-in hub how each proxy's last scrape went. */
  source: viewerProcedure.query(({ ctx }) => ({
    backend: ctx.observability.metrics.name,
    targets: (ctx.observability.hub?.targets() ?? []).map((target) => ({
      ...target,
      lastScrapeAt: target.lastScrapeAt?.toISOString() ?? null,
    })),
  })),
});
