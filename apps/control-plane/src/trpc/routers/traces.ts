import { z } from "zod";
import { NotFoundError } from "../../store/index.ts";
import { createRouter, viewerProcedure } from "../init.ts";

export const tracesRouter = createRouter({
  /** Traces newest first, by service, caller, operation, status, minimum duration and time range. */
  search: viewerProcedure
    .input(
      z
        .object({
          service: z.string().min(1).optional(),
          caller: z.string().min(1).optional(),
          operation: z.string().min(1).optional(),
          status: z.enum(["ok", "error"]).optional(),
          minDurationMs: z.number().min(0).optional(),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
          limit: z.number().int().min(1).max(1000).default(20),
        })
        .refine((search) => search.caller === undefined || search.service !== undefined, {
          path: ["caller"],
          message: "a caller needs a service (the callee): together they name one edge",
        })
        .default({ limit: 20 }),
    )
    .query(({ ctx, input }) =>
      ctx.observability.spans.search({
        ...input,
        from: input.from === undefined ? undefined : new Date(input.from),
        to: input.to === undefined ? undefined : new Date(input.to),
      }),
    ),

  /** Every span of one trace, for the waterfall. */
  get: viewerProcedure
    .input(z.object({ traceId: z.string().regex(/^[0-9a-f]{32}$/i, "must be 32 hex digits") }))
    .query(async ({ ctx, input }) => {
      const spans = await ctx.observability.spans.getTrace(input.traceId.toLowerCase());
      if (spans.length === 0) throw new NotFoundError(`no trace ${input.traceId} (it may have aged out)`);
      return spans;
    }),

  /** The services that sent spans, for the search form. */
  services: viewerProcedure.query(async ({ ctx }) => {
    const recent = await ctx.observability.spans.search({ limit: 1000 });
    return [...new Set(recent.flatMap((trace) => trace.services))].sort();
  }),
});
