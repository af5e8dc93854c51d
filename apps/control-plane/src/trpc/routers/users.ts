import { z } from "zod";
import { roles, type UserRecord } from "../../store/index.ts";
import { adminProcedure, createRouter } from "../init.ts";

const username = z.string().regex(/^[a-zA-Z0-9._@-]{1,64}$/, "must be 1-64 letters, digits or . _ @ -");
// NIST SP 800-63B: length matters, composition rules do not.
const password = z.string().min(12, "must be at least 12 characters").max(1024);

function toUserView(user: UserRecord) {
  return { id: user.id, username: user.username, role: user.role, createdAt: user.createdAt.toISOString() };
}

/** Console users and their roles; admins only. */
export const usersRouter = createRouter({
  list: adminProcedure.query(async ({ ctx }) => (await ctx.store.users.list()).map(toUserView)),

  create: adminProcedure
    .input(z.object({ username, password, role: z.enum(roles) }))
    .mutation(async ({ ctx, input }) =>
      toUserView(await ctx.store.users.create(input, { actor: ctx.caller.actor })),
    ),

  setRole: adminProcedure
    .input(z.object({ username, role: z.enum(roles) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.store.users.setRole(input.username, input.role, { actor: ctx.caller.actor });
      return { ok: true };
    }),

  setPassword: adminProcedure.input(z.object({ username, password })).mutation(async ({ ctx, input }) => {
    await ctx.store.users.setPassword(input.username, input.password, { actor: ctx.caller.actor });
    return { ok: true };
  }),

  /** Also revokes the user's API tokens. */
  delete: adminProcedure.input(z.object({ username })).mutation(async ({ ctx, input }) => {
    await ctx.store.users.delete(input.username, { actor: ctx.caller.actor });
    return { ok: true };
  }),
});
