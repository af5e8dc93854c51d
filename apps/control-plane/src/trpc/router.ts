import { createRouter } from "./init.ts";
import { auditRouter } from "./routers/audit.ts";
import { authRouter } from "./routers/auth.ts";
import { dataplanesRouter } from "./routers/dataplanes.ts";
import { graphRouter } from "./routers/graph.ts";
import { historyRouter } from "./routers/history.ts";
import { meshesRouter } from "./routers/meshes.ts";
import { metricsRouter } from "./routers/metrics.ts";
import { policiesRouter } from "./routers/policies.ts";
import { propagationRouter } from "./routers/propagation.ts";
import { resourcesRouter } from "./routers/resources.ts";
import { rolloutsRouter } from "./routers/rollouts.ts";
import { securityRouter } from "./routers/security.ts";
import { servicesRouter } from "./routers/services.ts";
import { tapRouter } from "./routers/tap.ts";
import { tokensRouter } from "./routers/tokens.ts";
import { tracesRouter } from "./routers/traces.ts";
import { usersRouter } from "./routers/users.ts";
import { whatIfRouter } from "./routers/whatIf.ts";

/** The whole API of the console and loomctl; one line per resource router. */
export const appRouter = createRouter({
  auth: authRouter,
  meshes: meshesRouter,
  services: servicesRouter,
  dataplanes: dataplanesRouter,
  policies: policiesRouter,
  resources: resourcesRouter,
  history: historyRouter,
  audit: auditRouter,
  propagation: propagationRouter,
  security: securityRouter,
  users: usersRouter,
  tokens: tokensRouter,
  metrics: metricsRouter,
  graph: graphRouter,
  traces: tracesRouter,
  rollouts: rolloutsRouter,
  whatIf: whatIfRouter,
  tap: tapRouter,
});

export type AppRouter = typeof appRouter;
