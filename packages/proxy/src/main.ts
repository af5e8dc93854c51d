import { readFile } from "node:fs/promises";
import { type Bootstrap, type Snapshot, timer } from "@loom/spec";
import { Command } from "commander";
import { loadBootstrap } from "./bootstrap.ts";
import { readDataplaneToken } from "./control-plane-token.ts";
import { startGateway } from "./gateway/index.ts";
import { LoomProxy } from "./proxy.ts";
import { MeshIdentity } from "./tls/index.ts";
import { FileTlsMaterial } from "./tls-material.ts";
import { XdsClient } from "./xds-client/index.ts";

const program = new Command("loom-proxy")
  .description("Loom's sidecar proxy: the data plane of one service instance")
  .requiredOption("--bootstrap <file>", "bootstrap file (YAML or JSON)")
  .option("--gateway", "run as the mesh's ingress gateway (needs bootstrap.gateway)", false)
  .parse();

const options = program.opts<{ bootstrap: string; gateway: boolean }>();

async function main(): Promise<void> {
  const bootstrap = await loadBootstrap(options.bootstrap);
  if (options.gateway && !bootstrap.gateway)
    throw new Error("--gateway needs a gateway section in the bootstrap");
  const proxy = new LoomProxy(bootstrap);
  await proxy.start();
  const stopControlPlane = bootstrap.snapshot
    ? await runStandalone(proxy, bootstrap, bootstrap.snapshot)
    : runManaged(proxy, bootstrap);
  if (options.gateway && bootstrap.gateway) {
    await proxy.ready;
    proxy.adoptListener(await startGateway(proxy, bootstrap.gateway));
  }

  process.once("SIGTERM", () => {
    const forced = setTimeout(() => process.exit(1), timer("drainTimeoutMs") + 2_000);
    forced.unref();
    Promise.resolve(stopControlPlane?.())
      .then(() => proxy.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
  process.stdout.write(`loom-proxy ${bootstrap.name} started\n`);
}

/** A static snapshot and certificate files: applied once, kept for the process's life. */
async function runStandalone(proxy: LoomProxy, bootstrap: Bootstrap, snapshot: Snapshot): Promise<undefined> {
  if (bootstrap.tls) proxy.setTlsMaterial(new FileTlsMaterial(bootstrap.tls));
  const applied = await proxy.applySnapshot(snapshot);
  if (!applied.ok) throw new Error(`cannot apply the bootstrap snapshot: ${applied.error}`);
  return undefined;
}

/**
 * Under a control plane: register and follow the snapshot stream, get a certificate for this proxy's own key
 * and keep it rotated. A snapshot that needs mTLS waits for the first certificate.
 */
function runManaged(proxy: LoomProxy, bootstrap: Bootstrap): () => Promise<void> {
  const controlPlane = bootstrap.controlPlane;
  if (!controlPlane) throw new Error("the bootstrap needs controlPlane or snapshot");
  let identity: MeshIdentity | undefined;
  let client: XdsClient | undefined;
  const certificate = (async () => {
    const token = await readDataplaneToken(controlPlane);
    const caPem = controlPlane.caFile ? await readFile(controlPlane.caFile, "utf8") : undefined;
    client = new XdsClient({
      url: controlPlane.url,
      caPem,
      token,
      registration: {
        name: bootstrap.name,
        mesh: bootstrap.mesh,
        namespace: bootstrap.namespace,
        spec: bootstrap.dataplane,
        adminPort: bootstrap.adminPort,
      },
      applySnapshot: async (snapshot: Snapshot) => {
        if (snapshot.mesh.spec.mtls.mode !== "off") await certificate;
        return proxy.applySnapshot(snapshot);
      },
    });
    client.on("registered", (_id: string, tapToken: string | undefined) =>
      proxy.setControlPlaneTapToken(tapToken),
    );
    client.on("disconnected", (error: Error) => process.stderr.write(`control plane: ${error.message}\n`));
    client.start();
    const created = await MeshIdentity.create({
      requestCertificate: (csrPem) => (client as XdsClient).requestCertificate(csrPem),
    });
    identity = created;
    proxy.setTlsMaterial(created);
    created.on("rotated", () => proxy.setTlsMaterial(created));
  })();
  certificate.catch((error: Error) =>
    process.stderr.write(`loom-proxy: no mesh certificate: ${error.message}\n`),
  );
  return async () => {
    identity?.close();
    await client?.stop();
  };
}

main().catch((error: Error) => {
  process.stderr.write(`loom-proxy: ${error.message}\n`);
  process.exit(1);
});
