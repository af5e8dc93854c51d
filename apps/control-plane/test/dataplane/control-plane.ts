import { mkdtemp } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type CertificateAuthority,
  issueServerCertificate,
  openCertificateAuthority,
} from "../../src/ca/index.ts";
import { createDataplaneApi, type DataplaneApi } from "../../src/dataplane/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";

/** The data-plane API on a real HTTPS server over a real SQLite store, restartable on the same port. */
export class TestControlPlane {
  api!: DataplaneApi;
  server!: https.Server;
  errors: unknown[] = [];
  certificateTtlMs: number | undefined;
  watchStoreEveryMs: number | undefined;

  private constructor(
    readonly dataDir: string,
    readonly store: Store,
    readonly ca: CertificateAuthority,
    private readonly tls: { cert: string; key: string },
    public port: number,
  ) {}

  /** A second replica shares `dataDir`: the same database and the same CA root. */
  static async start({
    dataDir,
    watchStoreEveryMs,
  }: {
    dataDir?: string;
    watchStoreEveryMs?: number;
  } = {}): Promise<TestControlPlane> {
    dataDir ??= await mkdtemp(path.join(tmpdir(), "loom-dp-test-"));
    const store = await openStore({ databaseUrl: `file:${path.join(dataDir, "loom.db")}` });
    const ca = await openCertificateAuthority({ dataDir });
    const serverCertificate = await issueServerCertificate(ca, {
      hosts: ["127.0.0.1", "localhost"],
      ttlMs: 3_600_000,
    });
    const controlPlane = new TestControlPlane(
      dataDir,
      store,
      ca,
      { cert: serverCertificate.certificateChainPem, key: serverCertificate.privateKeyPem },
      0,
    );
    controlPlane.watchStoreEveryMs = watchStoreEveryMs;
    await controlPlane.listen();
    return controlPlane;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get caPem(): string {
    return this.ca.trustBundlePem;
  }

  async listen(): Promise<void> {
    this.api = createDataplaneApi({
      store: this.store,
      ca: this.ca,
      certificateTtlMs: this.certificateTtlMs,
      watchStoreEveryMs: this.watchStoreEveryMs,
      onError: (error) => this.errors.push(error),
    });
    this.server = https.createServer(this.tls, (req, res) => {
      if (!this.api.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops serving (streams cut, as when the process dies) but keeps the store and the port number. */
  async stopServing(): Promise<void> {
    await this.api.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  async stop(): Promise<void> {
    await this.stopServing();
    await this.store.close();
  }

  async token(service: string, mesh = "default"): Promise<{ token: string; id: number }> {
    const { token, record } = await this.store.dataplaneTokens.issue({ mesh, service }, { actor: "test" });
    return { token, id: record.id };
  }

  async write(kind: string, name: string, spec: unknown, mesh = "default"): Promise<void> {
    const existing = await this.store.resources.get({ kind, mesh, name });
    if (existing) {
      await this.store.resources.update(
        { kind, metadata: { name, mesh }, spec },
        { expectedVersion: existing.metadata.resourceVersion, actor: "test" },
      );
    } else {
      await this.store.resources.create({ kind, metadata: { name, mesh }, spec }, { actor: "test" });
    }
    await this.api.resourcesChanged(mesh);
  }

  /** A raw HTTPS call, for what the xds-client would never send. */
  request(
    method: string,
    urlPath: string,
    options: { token?: string; body?: string | Buffer } = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = https.request(
        {
          host: "127.0.0.1",
          port: this.port,
          path: urlPath,
          method,
          ca: this.caPem,
          agent: false,
          headers: {
            ...(options.token && { authorization: `Bearer ${options.token}` }),
            "content-type": "application/json",
          },
        },
        (response) => {
          answered = true;
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
          response.on("error", reject);
        },
      );
      // The server may answer (e.g. 413) and close before the whole body is sent: the answer counts.
      request.on("error", (error) => {
        if (!answered) reject(error);
      });
      request.end(options.body);
    });
  }
}
