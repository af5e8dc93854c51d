import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { expect, it } from "vitest";
import { reportCounts } from "../report.ts";
import {
  appliedSnapshot,
  CHAIN,
  type ChainInstance,
  meshYaml,
  startInstance,
  waitForDataplanes,
} from "./support/chain.ts";
import { type FaultControlPlane, startFaultControlPlane } from "./support/control-plane.ts";
import { startCpuMeter } from "./support/cpu.ts";
import { describeLoad, startSteadyLoad, unsuccessful, warmUp } from "./support/load.ts";

useProcesses();

const BEFORE_MS = 5_000;
const AFTER_MS = 25_000;

const ALLOW_ALL = `kind: TrafficPermission
metadata:
  name: written-after-restart
spec:
  targetRef: { kind: Mesh }
  from:
    - targetRef: { kind: Mesh }
      action: Allow
`;

/** Every proxy online again, seen since `since`, and acking the snapshot it actually applied. */
async function resynced(controlPlane: FaultControlPlane, chain: ChainInstance[], since: number) {
  const views = await controlPlane.admin.dataplanes.list.query({ status: "online" });
  const applied = await Promise.all(chain.map(appliedSnapshot));
  return chain.every((instance, index) => {
    const view = views.find((candidate) => candidate.name === instance.name);
    return (
      view !== undefined &&
      Date.parse(view.lastSeenAt) >= since &&
      view.ackedVersion === applied[index]?.version
    );
  });
}

interface KillScenario {
  /** Names the case in the report. */
  title: string;
  outageMs: number;
  /** The control plane's environment (which timers it runs with). */
  env: Record<string, string | undefined>;
  mtls: "permissive" | "off";
}

/** A chain under load while its control plane is killed -9, stays away `outageMs`, and comes back. */
async function killScenario({ title, outageMs, env, mtls }: KillScenario): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "loom-fault-cp-kill-"));
  const controlPlaneOptions = { dataDir, port: await freePort(), dpPort: await freePort(), env };
  let controlPlane = await startFaultControlPlane(controlPlaneOptions);
  await controlPlane.admin.policies.applyYaml.mutate({ text: meshYaml(mtls) });
  const chain = await Promise.all(
    CHAIN.map(({ service }) => startInstance({ service, name: `${service}-1`, dir: dataDir, controlPlane })),
  );
  await waitForDataplanes(
    controlPlane.admin,
    chain.map((instance) => instance.name),
  );
  const entryUrl = `http://127.0.0.1:${chain[0]?.inboundPort}/checkout`;
  await waitFor(async () => (await fetch(entryUrl)).status === 200, {
    what: "the chain answering 200",
    timeoutMs: 30_000,
  });
  const versionsBefore = await Promise.all(
    chain.map(async (instance) => (await appliedSnapshot(instance)).version),
  );

  const warmUpFailures = await warmUp(entryUrl);

  const meshCores = startCpuMeter(chain.flatMap((instance) => [instance.proxy.pid, instance.app.pid]));

  const load = startSteadyLoad(entryUrl, BEFORE_MS + outageMs + AFTER_MS);
  await sleep(BEFORE_MS);
  const killedAt = Date.now();
  controlPlane.process.kill("SIGKILL");
  await controlPlane.process.exited;
  await sleep(outageMs);
  const restartedAt = Date.now();
  controlPlane = await startFaultControlPlane(controlPlaneOptions);
  const readyAt = Date.now();
  const current = controlPlane;
  await waitFor(() => resynced(current, chain, restartedAt), {
    what: "every proxy reconnected and acking its applied snapshot",
    timeoutMs: 30_000,
  });
  const resyncSeconds = (Date.now() - restartedAt) / 1000;
  // Nothing changed while the control plane was away: each proxy holds the snapshot it had.
  const versionsAfter = await Promise.all(
    chain.map(async (instance) => (await appliedSnapshot(instance)).version),
  );
  expect(versionsAfter).toEqual(versionsBefore);

  // A write made after the restart reaches every proxy, and each acks the snapshot carrying it.
  await controlPlane.admin.policies.applyYaml.mutate({ text: ALLOW_ALL });
  await waitFor(
    async () =>
      (await Promise.all(chain.map(appliedSnapshot))).every((snapshot) =>
        JSON.stringify(snapshot).includes("written-after-restart"),
      ),
    { what: "the policy written after the restart applied by every proxy", timeoutMs: 15_000 },
  );
  await waitFor(() => resynced(current, chain, restartedAt), {
    what: "every proxy acking the snapshot with the new policy",
    timeoutMs: 15_000,
  });

  const result = await load.result;
  const meshCoresUsed = meshCores();
  reportCounts(`faults/${title}`, {
    sent: result.sent,
    failed: unsuccessful(result),
    refused: 0,
    crashed: chain.filter((instance) => instance.proxy.exitStatus !== undefined).length,
    notes: {
      rps: 200,
      outageSeconds: outageMs / 1000,
      resyncSeconds,
      p99Ms: Math.round(result.latenciesMs.p99),
      loadGeneratorCores: result.loadGeneratorCores,
      meshCores: meshCoresUsed,
      warmUpFailures,
    },
  });
  const second = (at: number) => Math.floor((at - load.startedAt) / 1000);
  console.log(
    `control plane kill: killed at second ${second(killedAt)}, restarted at ${second(restartedAt)}, ready at ${second(readyAt)}; ${describeLoad(result)}`,
  );
  expect(result.sent).toBe(result.scheduled);
  expect(result.sent).toBeGreaterThanOrEqual(200 * ((BEFORE_MS + outageMs + AFTER_MS) / 1000) - 1);
  expect(unsuccessful(result)).toBe(0);
}

it(
  "a chain under 200 rps loses no request while loom-cp is killed -9 for 2 minutes, and its proxies resync on its return",
  () =>
    killScenario({
      title: "control plane killed -9 for 2 min",
      outageMs: 120_000,
      // Production timers in the control plane: test mode's 20 s certificates would expire inside the outage, and
      // what is under test is the proxies' last good config and certificate, not certificate lifetime.
      env: { LOOM_TEST_MODE: undefined },
      mtls: "permissive",
    }),
  300_000,
);

it(
  "a control plane back after its proxies' offline window (test mode: 4 s) keeps their endpoints: no request lost",
  () =>
    killScenario({
      title: "control plane killed -9 for 6 s, longer than the offline window",
      outageMs: 6_000,
      // Test mode's 4 s offline window is shorter than the outage, as 30 s would be for a longer one in production;
      // its first sweep after the restart once marked every proxy offline and emptied its peers' endpoints. mTLS
      // off: test mode's 20 s certificates could expire while the control plane starts on a busy machine.
      env: {},
      mtls: "off",
    }),
  120_000,
);
