import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { sessionCookie } from "../../auth/sessions.ts";
import { createRouter, publicProcedure } from "../init.ts";

const credentials = z.object({ username: z.string().min(1), password: z.string().min(1) });

/** One message for an unknown user and a wrong password, so the answer does not reveal which usernames exist. */
const badCredentials = () => new TRPCError({ code: "UNAUTHORIZED", message: "wrong username or password" });

export const authRouter = createRouter({
  /** Sets the session cookie. Send it without a streaming link (the cookie is a response header). */
  login: publicProcedure.input(credentials).mutation(async ({ ctx, input }) => {
    const user = await ctx.store.users.authenticate(input.username, input.password);
    if (user === null) throw badCredentials();
    const session = ctx.sessions.issue(user);
    ctx.setResponseHeader(
      "set-cookie",
      sessionCookie(session.value, { ...session, secure: ctx.request.secure }),
    );
    return { username: user.username, role: user.role };
  }),

  /**
   * Ends all of the caller's console sessions, not only this browser's: a stolen copy of the cookie stops
   * working too, and sessions are a per-user counter (see SessionCodec) rather than rows to revoke one by one.
   */
  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.caller?.via === "session") await ctx.store.users.endSessions(ctx.caller.name, ctx.caller);
    ctx.setResponseHeader("set-cookie", sessionCookie("", { maxAgeSeconds: 0, secure: ctx.request.secure }));
    return { ok: true };
  }),

  /** Who the console or loomctl is signed in as; null when not signed in. */
  me: publicProcedure.query(
    ({ ctx }) => ctx.caller && { name: ctx.caller.name, role: ctx.caller.role, via: ctx.caller.via },
  ),

  /**
   * `loomctl login`: trades a username and password for an API token with the user's role, linked to the
   * user (deleting the user revokes it). The plaintext token is in this answer only.
   */
  createCliToken: publicProcedure
    .input(credentials.extend({ tokenName: z.string().min(1).max(100).default("loomctl") }))
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.store.users.authenticate(input.username, input.password);
      if (user === null) throw badCredentials();
      const { token, record } = await ctx.store.apiTokens.issue(
        { name: input.tokenName, role: user.role, userId: user.id },
        { actor: `user:${user.username}` },
      );
      return { token, name: record.name, role: record.role };
    }),
});
