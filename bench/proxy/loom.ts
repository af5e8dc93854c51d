import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCertificateRequest, generateMeshKeyPair, spiffeId } from "@loom/proxy/tls";
import { type BootstrapInput, bootstrapSchema, type MtlsMode, type SnapshotInput } from "@loom/spec";
import { freePort, startProcess } from "@loom/test-harness";
import { TestCa } from "../../packages/proxy/test/tls/test-ca.ts";
import { pinned, SERVER_CORE } from "./cores.ts";
import type { Server } from "./peers.ts";

/** LOOM_PROXY_BIN runs another build of the proxy (a patched copy, say) through the same bench. */
const PROXY_BIN =
  process.env.LOOM_PROXY_BIN ??
  fileURLToPath(new URL("../../packages/proxy/bin/loom-proxy.js", import.meta.url));
const TRUST_DOMAIN = "loom.local";
const identity = (service: string) => spiffeId(TRUST_DOMAIN, "default", service);

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** A mesh CA and one SPIFFE certificate per service, as the control plane's CA would issue them. */
export async function issueCertificates(
  dir: string,
  services: readonly string[],
): Promise<Record<string, TlsFiles>> {
  const ca = await TestCa.create();
  const caFile = path.join(dir, "mesh-ca.pem");
  await writeFile(caFile, ca.trustBundlePem);
  const issued: Record<string, TlsFiles> = {};
  for (const service of services) {
    const keyPair = await generateMeshKeyPair();
    const response = await ca.sign(await createCertificateRequest(keyPair), identity(service), 3_600_000);
    const certFile = path.join(dir, `${service}.crt`);
    const keyFile = path.join(dir, `${service}.key`);
    await writeFile(certFile, response.certificateChainPem);
    await writeFile(keyFile, keyPair.privateKeyPem);
    issued[service] = { certFile, keyFile, caFile };
  }
  return issued;
}

interface SidecarOptions {
  service: string;
  mtls: MtlsMode;
  tls?: TlsFiles;
  /** Peers connect here (mTLS in strict mode) to reach the app on appPort. */
  inbound?: { port: number; appPort: number };
  /** The app calls 127.0.0.1:port to reach `to`, served at address:targetPort. */
  outbound?: { port: number; to: string; targetPort: number };
  /** Extra node flags for the proxy process, e.g. --cpu-prof. */
  nodeFlags?: readonly string[];
  /** Another entry point than the bin (the esbuild bundle). */
  entry?: string;
}

/** One loom-proxy process in standalone mode on the server core, with mesh defaults for everything else. */
export async function startSidecar(dir: string, name: string, options: SidecarOptions): Promise<Server> {
  const adminPort = await freePort();
  const snapshot: SnapshotInput = {
    formatVersion: 1,
    version: "bench",
    dataplane: { name, mesh: "default", namespace: "default", service: options.service, tags: {} },
    mesh: {
      name: "default",
      spec: { mtls: { mode: options.mtls, trustDomain: TRUST_DOMAIN } },
      trustBundle: "",
    },
    inbound: {},
    outbounds: options.outbound
      ? [
          {
            service: options.outbound.to,
            port: options.outbound.port,
            protocol: "http",
            endpoints: [
              {
                service: options.outbound.to,
                dataplane: `${options.outbound.to}-1`,
                address: "127.0.0.1",
                port: options.outbound.targetPort,
                tags: { version: "v1" },
                identity: identity(options.outbound.to),
                healthy: true,
              },
            ],
          },
        ]
      : [],
  };
  const bootstrap: BootstrapInput = {
    name,
    dataplane: {
      service: options.service,
      inbound: options.inbound ? [options.inbound] : [],
      outbounds: options.outbound ? [{ service: options.outbound.to, port: options.outbound.port }] : [],
    },
    adminPort,
    snapshot,
    tls: options.tls,
  };
  const bootstrapFile = path.join(dir, `${name}.json`);
  await writeFile(bootstrapFile, JSON.stringify(bootstrapSchema.parse(bootstrap)));
  const [command, args] = pinned(SERVER_CORE, process.execPath, [
    ...(options.nodeFlags ?? []),
    options.entry ?? PROXY_BIN,
    "--bootstrap",
    bootstrapFile,
  ]);
  const handle = await startProcess({
    name,
    command,
    args,
    // Production timers and limits, not the test suite's.
    env: { LOOM_TEST_MODE: undefined },
    ready: { url: `http://127.0.0.1:${adminPort}/ready` },
  });
  const port = options.outbound?.port ?? options.inbound?.port;
  return { name, url: `http://127.0.0.1:${port}/`, handle };
}
