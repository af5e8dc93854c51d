import { nameSchema } from "@loom/spec";
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

  /** Registrations, heartbeats that change status, ACKs and NACKs, as the data-plane API reports them. */
  onChange: viewerProcedure
    .input(z.object({ mesh: nameSchema.optional() }).default({}))
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const event of eventsOf(ctx.events, "dataplane", signal)) {
        if ((input.mesh ?? event.mesh) === event.mesh) yield event;
      }
    }),
});
