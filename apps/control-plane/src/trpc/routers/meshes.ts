import { z } from "zod";
import { createRouter } from "../init.ts";
import { resourceProcedures } from "../resource-procedures.ts";

/** Mesh resources: mTLS mode and trust domain, the default traffic permission, tracing. */
export const meshesRouter = createRouter(resourceProcedures(z.literal("Mesh").default("Mesh")));
