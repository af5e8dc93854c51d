import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { errorsFromIssues, ResourceValidationError, timer } from "@loom/spec";
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { bearerToken, type Caller, resolveCaller } from "../auth/caller.ts";
import type { SessionCodec } from "../auth/sessions.ts";
import type { EventBus } from "../events.ts";
import type { Observability } from "../observability.ts";
import type { ResourceWriter } from "../resources/resource-writer.ts";
import { ConflictError, NotFoundError, type Role, type Store } from "../store/index.ts";

/** What every procedure can reach; main.ts builds it once per process. */
export interface AppServices {
  store: Store;
  events: EventBus;
  sessions: SessionCodec;
  resources: ResourceWriter;
  /** PEM roots of the mesh CA, to recompute the snapshot versions the data-plane API sends. */
  trustBundlePem: string;
  /** Metrics, traces and rollouts (the metrics, graph, traces, rollouts and whatIf routers). */
  observability: Observability;
  /** Derives each proxy's admin /tap token (the tap router relays a proxy's tap with it). */
  tapSecret?: Buffer;
}

export interface Context extends AppServices {
  caller: Caller | null;
  request: {
    headers: IncomingHttpHeaders;
    /** As the browser sees it: TLS here, or TLS terminated by a proxy in front (x-forwarded-proto). */
    secure: boolean;
  };
  /** Only before the response starts, i.e. in queries and mutations sent without streaming (auth.login). */
  setResponseHeader(name: string, value: string): void;
}

export function createContextFactory(services: AppServices) {
  return async ({ req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<Context> => ({
    ...services,
    caller: await resolveCaller(req.headers, services),
    request: {
      headers: req.headers,
      secure: (req.socket as TLSSocket).encrypted === true || req.headers["x-forwarded-proto"] === "https",
    },
    setResponseHeader: (name, value) => res.setHeader(name, value),
  });
}

const t = initTRPC.context<Context>().create({
  // Stack traces stay in the server's log, not in answers.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      message: unexpected(error) ? unexpectedErrorMessage(cause) : shape.message,
      data: {
        ...shape.data,
        /** Each problem with its kind, name, line, field path and formatted message (loomctl prints these). */
        resourceErrors: cause instanceof ResourceValidationError ? [...cause.errors] : undefined,
        currentVersion: cause instanceof ConflictError ? cause.currentVersion : undefined,
      },
    };
  },
  sse: {
    // Proxies between the browser and us (Next's rewrite) drop connections that look idle.
    ping: { enabled: true, intervalMs: timer("streamKeepAliveMs") },
    client: { reconnectAfterInactivityMs: 3 * timer("streamKeepAliveMs") },
  },
});

/**
 * An error no procedure meant to send (a store that is down, a bug): its text may name source paths, SQL or
 * driver internals, so the answer says what happened in plain words and the log (main.ts) keeps the details.
 */
function unexpected(error: TRPCError): boolean {
  return error.code === "INTERNAL_SERVER_ERROR" && error.cause instanceof Error;
}

function unexpectedErrorMessage(cause: unknown): string {
  if (isStoreFailure(cause)) {
    return "the control plane's store did not answer or failed; try again (details are in the control plane's log)";
  }
  return "internal error in the control plane (details are in its log)";
}

/** Prisma's errors, its driver adapter's, PostgreSQL's own (pg's DatabaseError) and a refused or lost connection. */
function isStoreFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const { name } = current;
    const code = String((current as { code?: unknown }).code ?? "");
    if (name.startsWith("PrismaClient") || name === "DriverAdapterError") return true;
    if (current.constructor.name === "DatabaseError" || /^ECONN|^EPIPE$|^57P0/.test(code)) return true;
    current = current.cause;
  }
  return false;
}

export const createRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

export const CSRF_HEADER = "x-loom-csrf";

/**
 * Store and spec errors become the tRPC codes clients act on. tRPC wraps what a procedure throws, so the
 * original error is the TRPCError's cause.
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof ResourceValidationError) throw badRequest(cause);
  // An input that fails a procedure's own zod schema reads like any other validation error.
  if (result.error.code === "BAD_REQUEST" && cause instanceof z.ZodError)
    throw badRequest(new ResourceValidationError(errorsFromIssues(cause.issues, {})));
  if (cause instanceof ConflictError)
    throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
  if (cause instanceof NotFoundError)
    throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
  return result;
});

function badRequest(cause: ResourceValidationError): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
}

/**
 * A browser attaches the session cookie to any request, even one a foreign page makes. A state change over a
 * session must therefore carry a header no cross-site form or fetch can set without our CORS consent (which we
 * never give), and must not come from a foreign Origin. Only a Bearer token (what resolveCaller reads instead of
 * the cookie) lifts the rule: browsers never add one on their own, but they do add `Authorization: Basic` to
 * every request once basic auth in front of the console was answered, and the cookie would still decide then.
 */
const csrfProtection = t.middleware(({ ctx, type, next }) => {
  if (type !== "mutation" || bearerToken(ctx.request.headers) !== undefined) return next();
  const { headers } = ctx.request;
  if (headers[CSRF_HEADER] !== "1")
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `state-changing calls need the header "${CSRF_HEADER}: 1"`,
    });
  if (headers["sec-fetch-site"] === "cross-site" || !sameOrigin(headers))
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "state-changing calls from another origin are refused",
    });
  return next();
});

/** Behind the console's rewrite the browser's host arrives as x-forwarded-host. */
function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  const host = [headers["x-forwarded-host"], headers.host].flat().find(Boolean);
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export const publicProcedure = t.procedure.use(domainErrors).use(csrfProtection);

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

function requireRole(minimum: Role) {
  return t.middleware(({ ctx, next }) => {
    const { caller } = ctx;
    if (caller === null)
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: "sign in, or send an API token as Authorization: Bearer",
      });
    if (rank[caller.role] < rank[minimum])
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `this needs the ${minimum} role; ${caller.name} is ${caller.role}`,
      });
    return next({ ctx: { caller } });
  });
}

export const viewerProcedure = publicProcedure.use(requireRole("viewer"));
export const editorProcedure = publicProcedure.use(requireRole("editor"));
export const adminProcedure = publicProcedure.use(requireRole("admin"));
