import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { expect, it } from "vitest";
import { reportCounts } from "../report.ts";
import { servedSerial } from "./support/certificates.ts";
import { appliedSnapshot, CHAIN, meshYaml, startInstance, waitForDataplanes } from "./support/chain.ts";
import { startFaultControlPlane } from "./support/control-plane.ts";
import { startCpuMeter } from "./support/cpu.ts";
import { describeLoad, startSteadyLoad, unsuccessful, warmUp } from "./support/load.ts";

useProcesses();

const CHURN_MS = 60_000;
const WRITE_EVERY_MS = 1_000;
const SETTLE_MS = 5_000;

/**
 * Both callers' routes, different on every write: a header that changes value, and a second rule that comes and
 * goes with its own timeout and retry, so each write gives web's and cart's proxies a new snapshot to swap in.
 */
function routesYaml(revision: number): string {
  const rules = (service: string) => {
    const extra =
      revision % 2 === 0
        ? `    - matches: [{ path: { type: PathPrefix, value: /never-called } }]
      backendRefs: [{ tags: { version: v1 } }]
      timeout: { request: ${10 + (revision % 5)}s }
      retry: { attempts: 2 }
`
        : "";
    return `kind: TrafficRoute
metadata:
  name: ${service}-churn
spec:
  targetRef: { kind: Service, name: ${service} }
  rules:
${extra}    - backendRefs: [{ tags: { version: v1 } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-churn, value: "${revision}" }] }
`;
  };
  return [rules("cart"), rules("checkout")].join("---\n");
}

function normalSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+/, "");
}

it("a chain under 200 rps loses no request through a route change every second for a minute while every proxy rotates its certificate", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "loom-fault-churn-"));
  // Test mode: 20 s certificates, which every proxy renews at half-life with a fresh key. That is how rotation
  // is triggered (packages/proxy/src/tls/mesh-identity.ts), so a minute of load sees several rounds of it.
  const controlPlane = await startFaultControlPlane({
    dataDir,
    port: await freePort(),
    dpPort: await freePort(),
  });
  const { admin } = controlPlane;
  await admin.policies.applyYaml.mutate({ text: [meshYaml(), routesYaml(0)].join("---\n") });
  const chain = await Promise.all(
    CHAIN.map(({ service }) => startInstance({ service, name: `${service}-1`, dir: dataDir, controlPlane })),
  );
  await waitForDataplanes(
    admin,
    chain.map((instance) => instance.name),
  );
  const entryUrl = `http://127.0.0.1:${chain[0]?.inboundPort}/checkout`;
  await waitFor(async () => (await fetch(entryUrl)).status === 200, {
    what: "the chain answering 200",
    timeoutMs: 30_000,
  });
  const servedBefore = await Promise.all(chain.map(servedSerial));

  const loadStartedAt = new Date();
  const warmUpFailures = await warmUp(entryUrl);
  const meshCores = startCpuMeter(chain.flatMap((instance) => [instance.proxy.pid, instance.app.pid]));
  const load = startSteadyLoad(entryUrl, SETTLE_MS + CHURN_MS + SETTLE_MS);
  await sleep(SETTLE_MS);
  const versionsSeen = chain.map(() => new Set<string>());
  let writes = 0;
  const churnEnd = Date.now() + CHURN_MS;
  while (Date.now() < churnEnd) {
    const writeStartedAt = Date.now();
    writes += 1;
    await admin.policies.applyYaml.mutate({ text: routesYaml(writes) });
    const applied = await Promise.all(chain.map(appliedSnapshot));
    for (const [index, snapshot] of applied.entries()) versionsSeen[index]?.add(snapshot.version);
    await sleep(writeStartedAt + WRITE_EVERY_MS - Date.now());
  }
  const result = await load.result;
  const meshCoresUsed = meshCores();
  const loadEndedAt = new Date();

  // The last write reached both callers.
  await waitFor(
    async () =>
      (await Promise.all(chain.slice(0, 2).map(appliedSnapshot))).every((snapshot) =>
        JSON.stringify(snapshot).includes(`"value":"${writes}"`),
      ),
    { what: `web's and cart's proxies applying write ${writes}`, timeoutMs: 15_000 },
  );

  // Rotation, seen from both ends: the CA issued each proxy new certificates during the load, and each proxy's
  // inbound now presents a different certificate than before it.
  const views = await admin.dataplanes.list.query({});
  const servedAfter = await Promise.all(chain.map(servedSerial));
  const issued = await Promise.all(
    chain.map((instance) =>
      admin.security.certificates.query({
        dataplaneId: views.find((view) => view.name === instance.name)?.id,
      }),
    ),
  );
  const issuedDuringLoad = issued.map((certificates) =>
    certificates.filter((certificate) => {
      const issuedAt = Date.parse(certificate.issuedAt);
      return issuedAt >= loadStartedAt.getTime() && issuedAt <= loadEndedAt.getTime();
    }),
  );

  reportCounts("faults/route churn 1/s for 60 s + certificate rotation", {
    sent: result.sent,
    failed: unsuccessful(result),
    refused: 0,
    crashed: chain.filter((instance) => instance.proxy.exitStatus !== undefined).length,
    notes: {
      rps: 200,
      routeWrites: writes,
      snapshotVersionsApplied: versionsSeen
        .map((versions, index) => `${chain[index]?.name}=${versions.size}`)
        .join("/"),
      certificatesIssued: issuedDuringLoad
        .map((issued, index) => `${chain[index]?.name}=${issued.length}`)
        .join("/"),
      p99Ms: Math.round(result.latenciesMs.p99),
      loadGeneratorCores: result.loadGeneratorCores,
      meshCores: meshCoresUsed,
      warmUpFailures,
    },
  });
  console.log(`churn + rotation: ${describeLoad(result)}`);
  console.log(
    `served serials before ${servedBefore.join(", ")}; after ${servedAfter.join(", ")}; issued during load ${issuedDuringLoad
      .map((issued) => issued.map((certificate) => certificate.serial).join(" "))
      .join(" | ")}`,
  );

  expect(writes).toBeGreaterThanOrEqual(CHURN_MS / WRITE_EVERY_MS - 5);
  // Web's and cart's proxies swapped config many times under load (the cap is one per write).
  expect(versionsSeen[0]?.size).toBeGreaterThan(writes / 2);
  expect(versionsSeen[1]?.size).toBeGreaterThan(writes / 2);
  for (const [index, duringLoad] of issuedDuringLoad.entries()) {
    const name = chain[index]?.name;
    expect(duringLoad.length, `certificates issued to ${name} during the load`).toBeGreaterThanOrEqual(3);
    expect(servedAfter[index]).not.toBe(servedBefore[index]);
    // What the proxy presents is one the CA issued to that very dataplane.
    expect(issued[index]?.map((certificate) => normalSerial(certificate.serial))).toContain(
      normalSerial(servedAfter[index] ?? ""),
    );
  }
  expect(result.sent).toBe(result.scheduled);
  expect(unsuccessful(result)).toBe(0);
}, 300_000);
