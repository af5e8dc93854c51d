process.env.LOOM_TEST_MODE = "1";

import { once } from "node:events";
import { type RegisterRequest, type Snapshot, timer } from "@loom/spec";
import { waitFor } from "@loom/test-harness";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ApplyResult, backoffDelayMs, XdsClient } from "../../src/xds-client/index.ts";
import { FakeControlPlane, snapshot } from "./fake-control-plane.ts";

const registration: RegisterRequest = {
  name: "web-1",
  mesh: "default",
  namespace: "default",
  adminPort: 9901,
  spec: { service: "web", tags: {}, address: "127.0.0.1", inbound: [], outbounds: [], gateway: false },
};

let controlPlane: FakeControlPlane;
let client: XdsClient | undefined;

beforeEach(async () => {
  controlPlane = await FakeControlPlane.start();
});

afterEach(async () => {
  await client?.stop();
  client = undefined;
  await controlPlane.stop();
});

function startClient(
  apply: (snapshot: Snapshot) => ApplyResult | Promise<ApplyResult> = () => ({ ok: true }),
) {
  const applied: string[] = [];
  client = new XdsClient({
    url: controlPlane.url,
    caPem: controlPlane.caPem,
    token: "loom_dp_secret",
    registration,
    applySnapshot: async (next) => {
      const result = await apply(next);
      if (result.ok) applied.push(next.version);
      return result;
    },
  });
  client.start();
  return { client, applied };
}

describe("XdsClient", () => {
  it("registers with the bearer token, opens the stream, applies and ACKs", async () => {
    const { client, applied } = startClient();
    await once(client, "connected");
    expect(controlPlane.registrations[0]).toMatchObject({
      authorization: "Bearer loom_dp_secret",
      body: registration,
    });
    expect(controlPlane.streamQueries[0]?.get("dataplaneId")).toBe("7");
    controlPlane.sendSnapshot(snapshot("v1"));
    await waitFor(() => controlPlane.acks.length === 1, { what: "the ACK" });
    expect(controlPlane.acks).toEqual([{ version: "v1", ok: true }]);
    expect(applied).toEqual(["v1"]);
    expect(client.lastSnapshot?.version).toBe("v1");
  });

  it("NACKs an unknown formatVersion, an invalid snapshot and a refused one, keeping the previous snapshot", async () => {
    const { client, applied } = startClient((next) =>
      next.version === "v4" ? { ok: false, error: "cannot bind outbound port 7001" } : { ok: true },
    );
    await once(client, "connected");
    controlPlane.sendSnapshot(snapshot("v1"));
    await waitFor(() => controlPlane.acks.length === 1, { what: "v1's ACK" });
    controlPlane.sendSnapshot({ ...snapshot("v2"), formatVersion: 2 });
    await waitFor(() => controlPlane.acks.length === 2, { what: "v2's NACK" });
    controlPlane.sendSnapshot({ ...snapshot("v3"), outbounds: [{ service: "cart", port: 0 }] });
    await waitFor(() => controlPlane.acks.length === 3, { what: "v3's NACK" });
    controlPlane.sendSnapshot(snapshot("v4"));
    await waitFor(() => controlPlane.acks.length === 4, { what: "v4's NACK" });

    expect(controlPlane.acks[1]).toEqual({
      version: "v2",
      ok: false,
      error: "snapshot formatVersion 2 is not supported (this proxy applies 1)",
    });
    expect(controlPlane.acks[2]).toMatchObject({ version: "v3", ok: false });
    expect(controlPlane.acks[2]?.error).toMatch(/^invalid snapshot: outbounds\[0\]\.port: /);
    expect(controlPlane.acks[3]).toEqual({
      version: "v4",
      ok: false,
      error: "cannot bind outbound port 7001",
    });
    expect(applied).toEqual(["v1"]);
    expect(client.appliedVersion).toBe("v1");
  });

  it("NACKs with the message when applying throws", async () => {
    const { client } = startClient(() => {
      throw new Error("certificate cannot be loaded");
    });
    await once(client, "connected");
    controlPlane.sendSnapshot(snapshot("v1"));
    await waitFor(() => controlPlane.acks.length === 1, { what: "the NACK" });
    expect(controlPlane.acks[0]).toEqual({ version: "v1", ok: false, error: "certificate cannot be loaded" });
  });

  it("applies only the newest of snapshots that arrive during a slow apply", async () => {
    const { client, applied } = startClient(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { ok: true };
    });
    await once(client, "connected");
    controlPlane.sendSnapshot(snapshot("v1"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controlPlane.sendSnapshot(snapshot("v2"));
    controlPlane.sendSnapshot(snapshot("v3"));
    // The ACK follows the apply over the network, so wait for the ACKs, not only the applies.
    await waitFor(() => controlPlane.acks.length === 2, { what: "two ACKs" });
    expect(applied).toEqual(["v1", "v3"]);
    expect(controlPlane.acks.map((ack) => ack.version)).toEqual(["v1", "v3"]);
  });

  it("reconnects resuming from the applied version, and ACKs a re-sent version without re-applying", async () => {
    const { client, applied } = startClient();
    await once(client, "connected");
    controlPlane.sendSnapshot(snapshot("v1"));
    await waitFor(() => controlPlane.acks.length === 1, { what: "v1's ACK" });

    const reconnected = once(client, "connected");
    controlPlane.stream?.end();
    await reconnected;
    expect(controlPlane.streamQueries[1]?.get("lastVersion")).toBe("v1");
    controlPlane.sendSnapshot(snapshot("v1"));
    await waitFor(() => controlPlane.acks.length === 2, { what: "the re-sent version's ACK" });
    expect(applied).toEqual(["v1"]);
  });

  it("treats a stream silent for three heartbeats as dead and reconnects", async () => {
    controlPlane.heartbeatIntervalMs = 200;
    const { client } = startClient();
    await once(client, "connected");
    const connectedAt = Date.now();
    const [error] = (await once(client, "disconnected")) as [Error];
    expect(error.message).toBe("no heartbeat from the control plane for 600 ms");
    expect(Date.now() - connectedAt).toBeGreaterThanOrEqual(550);
    await once(client, "connected");
    expect(controlPlane.registrations.length).toBe(2);
  });

  it("keeps retrying with growing, jittered delays while the control plane refuses, keeping its snapshot", async () => {
    const { client } = startClient();
    await once(client, "connected");
    controlPlane.sendSnapshot(snapshot("v1"));
    await waitFor(() => controlPlane.acks.length === 1, { what: "v1's ACK" });

    controlPlane.registerStatus = 503;
    const errors: Error[] = [];
    client.on("disconnected", (error: Error) => errors.push(error));
    controlPlane.stream?.end();
    await waitFor(() => controlPlane.registrations.length >= 6, { what: "five retries", timeoutMs: 10_000 });
    expect(errors.some((error) => error.message.includes("503 control plane is starting"))).toBe(true);
    const gaps = controlPlane.registrations
      .slice(1)
      .map((attempt, index) => attempt.at - (controlPlane.registrations[index]?.at ?? 0));
    // Full jitter makes any one gap random (growth is checked on backoffDelayMs below); none may be a hot loop.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(timer("reconnectBackoffBaseMs") / 2 - 10);
    expect(client.lastSnapshot?.version).toBe("v1");

    controlPlane.registerStatus = 200;
    await once(client, "connected");
  });

  it("refuses a control plane URL that is not https", () => {
    expect(
      () =>
        new XdsClient({
          url: "http://127.0.0.1:1",
          token: "t",
          registration,
          applySnapshot: () => ({ ok: true }),
        }),
    ).toThrow("the control plane URL must be https, got http://127.0.0.1:1");
  });
});

describe("backoffDelayMs", () => {
  it("grows exponentially up to the maximum, with full jitter above half the base", () => {
    expect(backoffDelayMs(0, 100, 2_000, () => 0)).toBe(50);
    expect(backoffDelayMs(0, 100, 2_000, () => 1)).toBe(100);
    expect(backoffDelayMs(3, 100, 2_000, () => 1)).toBe(800);
    expect(backoffDelayMs(10, 100, 2_000, () => 1)).toBe(2_000);
    expect(backoffDelayMs(1_000, 100, 2_000, () => 0.5)).toBe(1_025);
  });
});
