import { nameSchema, type Snapshot, snapshotSchema } from "@loom/spec";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { DataplanePorts } from "../../dataplane/index.ts";
import { eventsOf } from "../../events.ts";
import { type DataplaneRecord, NotFoundError } from "../../store/index.ts";
import { createRouter, viewerProcedure } from "../init.ts";

/** A running proxy as the console's proxies page shows it. */
function toDataplaneView(record: DataplaneRecord) {
  return {
    id: record.id,
    name: record.name,
    mesh: record.mesh,
    namespace: record.namespace,
    service: record.service,
    tags: record.tags,
    address: record.address,
    /** Inbound and outbound ports and the admin port, as the proxy registered them. */
    ports: record.ports as DataplanePorts,
    status: record.status,
    lastSeenAt: record.lastSeenAt.toISOString(),
    /** The last snapshot version the proxy applied. */
    ackedVersion: record.ackedVersion,
    /** Why the proxy refused its latest snapshot, until it acks one again. */
    lastNack: record.lastNack,
    registeredAt: record.createdAt.toISOString(),
  };
}

export type DataplaneView = ReturnType<typeof toDataplaneView>;

const ADMIN_FETCH_TIMEOUT_MS = 5_000;

/** The snapshot a proxy serves with, from its admin /config: what it applied, not what we would send it. */
async function configOf(record: DataplaneRecord): Promise<Snapshot | null> {
  const { adminPort } = record.ports as DataplanePorts;
  const host = record.address.includes(":") ? `[${record.address}]` : record.address;
  const unreachable = (reason: string) =>
    new TRPCError({ code: "BAD_GATEWAY", message: `cannot read the config of ${record.name}: ${reason}` });
  const answer = await fetch(`http://${host}:${adminPort}/config`, {
    signal: AbortSignal.timeout(ADMIN_FETCH_TIMEOUT_MS),
  }).catch((error: Error) => {
    throw unreachable(error.message);
  });
  if (answer.status !== 200) throw unreachable(`its admin port answered ${answer.status}`);
  const body: unknown = await answer.json().catch(() => {
    throw unreachable("its admin port answered something other than JSON");
  });
  if (body === null) return null;
  const parsed = snapshotSchema.safeParse(body);
  if (!parsed.success) throw unreachable(`its snapshot does not match this control plane's schema`);
  return parsed.data;
}

export const dataplanesRouter = createRouter({
  list: viewerProcedure
    .input(
      z
        .object({
          mesh: nameSchema.optional(),
          service: nameSchema.optional(),
          status: z.enum(["online", "offline"]).optional(),
        })
        .default({}),
    )
    .query(async ({ ctx, input }) => (await ctx.store.dataplanes.list(input)).map(toDataplaneView)),

  get: viewerProcedure.input(z.object({ id: z.number().int() })).query(async ({ ctx, input }) => {
    const record = await ctx.store.dataplanes.get(input.id);
    if (record === null) throw new NotFoundError(`Dataplane ${input.id} does not exist`);
    return toDataplaneView(record);
  }),

  /** The config a proxy is running, as its admin /config reports it (null before it applied any). */
  config: viewerProcedure.input(z.object({ id: z.number().int() })).query(async ({ ctx, input }) => {
    const record = await ctx.store.dataplanes.get(input.id);
    if (record === null) throw new NotFoundError(`Dataplane ${input.id} does not exist`);
    if (record.status !== "online")
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `dataplane ${record.name} is offline` });
    return { ackedVersion: record.ackedVersion, snapshot: await configOf(record) };
  }),

  /** Registrations, heartbeats that change status, ACKs and NACKs, as the data-plane API reports them. */
  onChange: viewerProcedure
    .input(z.object({ mesh: nameSchema.optional() }).default({}))
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const event of eventsOf(ctx.events, "dataplane", signal)) {
        if ((input.mesh ?? event.mesh) === event.mesh) yield event;
      }
    }),
});
