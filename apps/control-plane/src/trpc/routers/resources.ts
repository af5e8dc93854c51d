import { KINDS, nameSchema } from "@loom/spec";
import { z } from "zod";
import { eventsOf } from "../../events.ts";
import { createRouter, viewerProcedure } from "../init.ts";
import { resourceProcedures } from "../resource-procedures.ts";

/** Any kind by name (what loomctl get/delete use), and the live feed of resource changes. */
export const resourcesRouter = createRouter({
  ...resourceProcedures(z.enum(KINDS)),

  /** Which resource changed and its new version; clients re-read what they show. */
  onChange: viewerProcedure
    .input(z.object({ kind: z.enum(KINDS).optional(), mesh: nameSchema.optional() }).default({}))
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const event of eventsOf(ctx.events, "resource", signal)) {
        if ((input.kind ?? event.kind) === event.kind && (input.mesh ?? event.mesh) === event.mesh)
          yield event;
      }
    }),
});
