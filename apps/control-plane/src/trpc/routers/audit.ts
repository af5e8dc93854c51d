import { z } from "zod";
import { createRouter, viewerProcedure } from "../init.ts";

export const auditRouter = createRouter({
  /** Newest first: who changed what (resources, users, tokens, certificates), when. */
  list: viewerProcedure
    .input(
      z
        .object({
          kind: z.string().optional(),
          mesh: z.string().optional(),
          name: z.string().optional(),
          actor: z.string().optional(),
          limit: z.number().int().min(1).max(1000).default(100),
        })
        .default({ limit: 100 }),
    )
    .query(async ({ ctx, input }) =>
      (await ctx.store.auditLog.list(input)).map((entry) => ({ ...entry, at: entry.at.toISOString() })),
    ),
});
