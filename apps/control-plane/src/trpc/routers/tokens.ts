import { DEFAULT_MESH, DEFAULT_NAMESPACE, nameSchema } from "@loom/spec";
import { z } from "zod";
import { type ApiTokenRecord, type DataplaneTokenRecord, roles } from "../../store/index.ts";
import { adminProcedure, createRouter } from "../init.ts";

function toTokenView<T extends ApiTokenRecord | DataplaneTokenRecord>(record: T) {
  return {
    ...record,
    createdAt: record.createdAt.toISOString(),
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}

const tokenId = z.object({ id: z.number().int().positive() });

/** API tokens for loomctl and scripts, and the dataplane tokens proxies register with; admins only. */
export const tokensRouter = createRouter({
  api: createRouter({
    list: adminProcedure.query(async ({ ctx }) => (await ctx.store.apiTokens.list()).map(toTokenView)),

    /** The plaintext token is in this answer only; the store keeps its hash. */
    create: adminProcedure
      .input(z.object({ name: z.string().min(1).max(100), role: z.enum(roles) }))
      .mutation(async ({ ctx, input }) => {
        const { token, record } = await ctx.store.apiTokens.issue(input, { actor: ctx.caller.actor });
        return { token, record: toTokenView(record) };
      }),

    revoke: adminProcedure
      .input(tokenId)
      .mutation(async ({ ctx, input }) =>
        toTokenView(await ctx.store.apiTokens.revoke(input.id, { actor: ctx.caller.actor })),
      ),
  }),

  dataplane: createRouter({
    list: adminProcedure
      .input(z.object({ mesh: nameSchema.optional(), service: nameSchema.optional() }).default({}))
      .query(async ({ ctx, input }) => (await ctx.store.dataplaneTokens.list(input)).map(toTokenView)),

    /** A token yields only this service's identity. The plaintext is in this answer only. */
    create: adminProcedure
      .input(
        z.object({
          service: nameSchema,
          mesh: nameSchema.default(DEFAULT_MESH),
          namespace: nameSchema.default(DEFAULT_NAMESPACE),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        const { token, record } = await ctx.store.dataplaneTokens.issue(input, { actor: ctx.caller.actor });
        return { token, record: toTokenView(record) };
      }),

    /** A revoked token can neither register a proxy nor renew its certificate. */
    revoke: adminProcedure
      .input(tokenId)
      .mutation(async ({ ctx, input }) =>
        toTokenView(await ctx.store.dataplaneTokens.revoke(input.id, { actor: ctx.caller.actor })),
      ),
  }),
});
