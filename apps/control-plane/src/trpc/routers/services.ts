import { z } from "zod";
import { createRouter } from "../init.ts";
import { resourceProcedures } from "../resource-procedures.ts";

/** Service resources: the ports and protocols of each service in a mesh. */
export const servicesRouter = createRouter(resourceProcedures(z.literal("Service").default("Service")));
