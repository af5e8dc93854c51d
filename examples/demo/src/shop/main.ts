import { readFile } from "node:fs/promises";
import http from "node:http";
import { z } from "zod";
import { AppInstance } from "./app-instance.ts";
import type { ShopConfig } from "./config.ts";
import { readBody } from "./grpc.ts";
import { SERVICE_MODULES } from "./services/index.ts";

/**
 * The shop process: every app instance of the demo (each its own server on its own port, behind its own
 * sidecar) in one Node process, which saves several hundred MB on a two-core machine, plus a control port.
 */
const behaviourChange = z
  .strictObject({
    service: z.string().optional(),
    instance: z.string().optional(),
    latencyMs: z.number().min(0).max(10_000).optional(),
    errorRate: z.number().min(0).max(1).optional(),
  })
  .refine((change) => change.latencyMs !== undefined || change.errorRate !== undefined, {
    message: "set latencyMs and/or errorRate",
  });

const configFile = process.argv[2];
if (configFile === undefined) throw new Error("usage: shop <config.json>");
const config = JSON.parse(await readFile(configFile, "utf8")) as ShopConfig;

const instances = config.instances.map((instance) => {
  const create = SERVICE_MODULES[instance.service];
  if (create === undefined) throw new Error(`no app for service ${instance.service}`);
  return new AppInstance(instance, create());
});
await Promise.all(instances.map((instance) => instance.start()));

const table = <T>(read: (instance: AppInstance) => T) =>
  Object.fromEntries(instances.map((instance) => [instance.config.name, read(instance)]));

const control = http.createServer(async (req, res) => {
  const answer = (status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body, null, 2)}\n`);
  const route = `${req.method} ${new URL(req.url ?? "/", "http://control").pathname}`;
  if (route === "GET /healthz") return answer(200, { instances: instances.length });
  if (route === "GET /counters")
    return answer(
      200,
      table((instance) => instance.counters),
    );
  if (route === "GET /behaviour")
    return answer(
      200,
      table((instance) => instance.behaviour),
    );
  if (route !== "POST /behaviour") return answer(404, { error: `no route ${route}` });
  let change: z.infer<typeof behaviourChange>;
  try {
    change = behaviourChange.parse(JSON.parse((await readBody(req)).toString("utf8")));
  } catch (error) {
    return answer(400, { error: error instanceof z.ZodError ? z.prettifyError(error) : String(error) });
  }
  const chosen = instances.filter(
    (instance) =>
      (change.service === undefined || instance.config.service === change.service) &&
      (change.instance === undefined || instance.config.name === change.instance),
  );
  if (chosen.length === 0) return answer(404, { error: "no instance matches that service/instance" });
  for (const instance of chosen) {
    if (change.latencyMs !== undefined) instance.behaviour.latencyMs = change.latencyMs;
    if (change.errorRate !== undefined) instance.behaviour.errorRate = change.errorRate;
    console.log(`behaviour of ${instance.config.name}: ${JSON.stringify(instance.behaviour)}`);
  }
  return answer(
    200,
    table((instance) => instance.behaviour),
  );
});
control.listen(config.controlPort, config.controlHost, () => {
  console.log(`shop ready: ${instances.length} app instances, control port ${config.controlPort}`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.once(signal, () => {
    control.close();
    for (const instance of instances) instance.close();
    process.exit(0);
  });
