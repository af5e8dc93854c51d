// The data-plane side of bench/propagation.ts, in a process of its own: N dataplanes, each a real XdsClient
// (register, snapshot stream, ACK) whose data path accepts every snapshot at once. One stdout line per
// ACK the control plane answered: `ack <dataplaneId> <version> <ok> <epoch ms>`.
import type { ClientRequest, IncomingMessage } from "node:http";
import https from "node:https";
import { performance } from "node:perf_hooks";
import { DATAPLANE_API } from "@loom/spec";
import { XdsClient } from "../../packages/proxy/src/xds-client/index.ts";

interface Config {
  url: string;
  caPem: string;
  /** Dataplane token per service. */
  tokens: Record<string, string>;
  count: number;
  /** How many clients start at once. */
  concurrency: number;
  /** No new dataplane starts connecting after this long; the line `connected` says how many made it. */
  connectBudgetMs: number;
}

const config = JSON.parse(process.env.LOOM_BENCH_CONFIG ?? "{}") as Config;
const services = Object.keys(config.tokens);
const now = () => performance.timeOrigin + performance.now();
const out: string[] = [];
let flushing = false;
function report(line: string): void {
  out.push(line);
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    process.stdout.write(`${out.splice(0).join("\n")}\n`);
  });
}

// The client POSTs each ACK with https.request; the moment its answer has been read is the moment the control
// plane has recorded the ACK.
const request = https.request.bind(https) as (...args: unknown[]) => ClientRequest;
const firstAck = new Map<string, () => void>();
(https as { request: unknown }).request = (...args: unknown[]): ClientRequest => {
  const req = request(...args);
  const [url, options] = args as [URL, { method?: string }];
  if (options?.method !== "POST" || url.pathname !== DATAPLANE_API.ack) return req;
  const end = req.end.bind(req) as (body: string) => ClientRequest;
  req.end = ((body: string) => {
    const { dataplaneId, version, ok } = JSON.parse(body) as {
      dataplaneId: string;
      version: string;
      ok: boolean;
    };
    req.on("response", (response: IncomingMessage) =>
      response.on("end", () => {
        if ((response.statusCode ?? 0) >= 300) return;
        report(`ack ${dataplaneId} ${version} ${ok} ${now().toFixed(2)}`);
        firstAck.get(dataplaneId)?.();
        firstAck.delete(dataplaneId);
      }),
    );
    return end(body);
  }) as typeof req.end;
  return req;
};

const clients: XdsClient[] = [];
async function connect(index: number): Promise<void> {
  const service = services[index % services.length] ?? "svc-0";
  const client = new XdsClient({
    url: config.url,
    caPem: config.caPem,
    token: config.tokens[service] ?? "",
    registration: {
      name: `${service}-dp-${index}`,
      mesh: "default",
      namespace: "default",
      adminPort: 20_000 + index,
      spec: {
        service,
        tags: { version: "v1" },
        address: "127.0.0.1",
        inbound: [{ port: 30_000 + index, appPort: 40_000 + index, protocol: "http" }],
        outbounds: [{ service: services[(index + 1) % services.length] ?? service, port: 50_000 + index }],
        gateway: false,
      },
    },
    applySnapshot: () => ({ ok: true }),
  });
  clients.push(client);
  const acked = new Promise<void>((resolve) => {
    client.once("registered", (dataplaneId: string) => firstAck.set(dataplaneId, resolve));
  });
  client.on("warning", (error: unknown) => process.stderr.write(`dataplane ${index}: ${String(error)}\n`));
  client.start();
  await acked;
}

const started = now();
let next = 0;
await Promise.all(
  Array.from({ length: config.concurrency }, async () => {
    while (next < config.count && now() - started < config.connectBudgetMs) await connect(next++);
  }),
);
report(`connected ${clients.length} ${(now() - started).toFixed(0)}`);

process.on("SIGTERM", () => {
  void Promise.all(clients.map((client) => client.stop())).finally(() => process.exit(0));
});
