import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { ProxyPlan } from "./layout.ts";
import type { Child, Supervisor } from "./supervisor.ts";
import { waitForHttp } from "./wait.ts";

export const LOOM_PROXY_BIN = path.resolve(import.meta.dirname, "../../../packages/proxy/bin/loom-proxy.js");

/**
 * One loom-proxy per plan, started together; resolves once every one answers /ready (registered, first
 * snapshot applied, certificate in place, listeners bound). `onReady` reports each as it gets there.
 */
export async function startProxies(
  supervisor: Supervisor,
  plans: readonly ProxyPlan[],
  options: { dir: string; logDir: string; env: NodeJS.ProcessEnv; onReady: (plan: ProxyPlan) => void },
): Promise<Child[]> {
  return Promise.all(
    plans.map(async (plan) => {
      const bootstrapFile = path.join(options.dir, `${plan.name}.json`);
      await writeFile(bootstrapFile, `${JSON.stringify(plan.bootstrap, null, 2)}\n`);
      const child = supervisor.start({
        name: plan.name,
        command: process.execPath,
        args: [LOOM_PROXY_BIN, "--bootstrap", bootstrapFile, ...(plan.gateway ? ["--gateway"] : [])],
        env: options.env,
        logFile: path.join(options.logDir, `proxy-${plan.name}.log`),
      });
      // The admin port listens on the proxy's advertised address only.
      await waitForHttp(`http://${plan.bootstrap.dataplane.address}:${plan.adminPort}/ready`, child, 180_000);
      options.onReady(plan);
      return child;
    }),
  );
}
