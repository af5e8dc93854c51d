import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DATAPLANE_API, meshSpecSchema, type Snapshot } from "@loom/spec";

const run = promisify(execFile);

/** A scripted control plane: the test decides what the stream says and when. */
export class FakeControlPlane {
  registrations: { at: number; authorization: string | undefined; body: unknown }[] = [];
  streamQueries: URLSearchParams[] = [];
  acks: { version: string; ok: boolean; error?: string }[] = [];
  streams: ServerResponse[] = [];
  registerStatus = 200;
  heartbeatIntervalMs = 1_000;

  private constructor(
    readonly server: https.Server,
    readonly caPem: string,
  ) {}

  static async start(): Promise<FakeControlPlane> {
    const dir = await mkdtemp(path.join(tmpdir(), "loom-xds-test-"));
    const [keyFile, certFile] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-subj",
      "/CN=fake-control-plane",
      "-days",
      "1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]);
    const [key, cert] = await Promise.all([readFile(keyFile, "utf8"), readFile(certFile, "utf8")]);
    let fake: FakeControlPlane | undefined;
    const server = https.createServer({ key, cert }, (req, res) => void fake?.handle(req, res));
    fake = new FakeControlPlane(server, cert);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The stream most recently opened. */
  get stream(): ServerResponse | undefined {
    return this.streams.at(-1);
  }

  sendSnapshot(snapshot: unknown, to = this.stream): void {
    to?.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    let body = "";
    for await (const chunk of req) body += chunk;
    if (url.pathname === DATAPLANE_API.register) {
      this.registrations.push({
        at: Date.now(),
        authorization: req.headers.authorization,
        body: JSON.parse(body),
      });
      if (this.registerStatus !== 200) {
        res.writeHead(this.registerStatus, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ error: "control plane is starting" }));
      }
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(
        JSON.stringify({ dataplaneId: "7", heartbeatIntervalMs: this.heartbeatIntervalMs }),
      );
    }
    if (url.pathname === DATAPLANE_API.stream) {
      this.streamQueries.push(url.searchParams);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      this.streams.push(res);
      return;
    }
    if (url.pathname === DATAPLANE_API.ack) {
      const { version, ok, error } = JSON.parse(body);
      this.acks.push(error === undefined ? { version, ok } : { version, ok, error });
      return void res.writeHead(204).end();
    }
    res.writeHead(404).end();
  }
}

export function snapshot(version: string, overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    formatVersion: 1,
    version,
    dataplane: { name: "web-1", mesh: "default", namespace: "default", service: "web", tags: {} },
    mesh: { name: "default", spec: meshSpecSchema.parse({}), trustBundle: "" },
    inbound: {},
    outbounds: [],
    ...overrides,
  };
}
