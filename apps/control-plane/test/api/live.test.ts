import { readFile } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import { DATAPLANE_API, type Snapshot } from "@loom/spec";
import { useProcesses, waitFor } from "@loom/test-harness";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiClient,
  adminToken,
  apiClient,
  type RunningControlPlane,
  startControlPlane,
} from "./control-plane.ts";

useProcesses();

let cp: RunningControlPlane;
let admin: ApiClient;
let caPem: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  cp = await startControlPlane();
  admin = apiClient(cp.apiUrl, { token: await adminToken(cp.apiUrl) });
  caPem = await readFile(path.join(cp.dataDir, "ca", "root.crt"), "utf8");
  for (const name of ["web", "cart"])
    await admin.services.create.mutate({
      kind: "Service",
      metadata: { name },
      spec: { ports: [{ port: 80 }] },
    });
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Collects what a subscription yields until the test ends. */
function collect<T>(subscribe: (handlers: { onData: (value: T) => void }) => { unsubscribe(): void }): T[] {
  const received: T[] = [];
  const subscription = subscribe({ onData: (value) => received.push(value) });
  cleanups.push(() => subscription.unsubscribe());
  return received;
}

describe("subscriptions over SSE", () => {
  it("bring a write to a subscribed client within 2 s", async () => {
    const events = collect<{ kind: string; name: string; action: string }>((handlers) =>
      admin.resources.onChange.subscribe({ kind: "Timeout" }, handlers),
    );
    // The subscription is live once the server holds it; a first write may race the connection.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    await admin.policies.create.mutate({
      kind: "Timeout",
      metadata: { name: "live" },
      spec: { targetRef: { kind: "Service", name: "cart" } },
    });
    await waitFor(() => events.find((event) => event.name === "live"), {
      what: "the write's event",
      timeoutMs: 2_000,
      intervalMs: 10,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(events).toContainEqual(
      expect.objectContaining({ kind: "Timeout", name: "live", action: "create" }),
    );
  });

  it("send keep-alive pings on an idle stream", async () => {
    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const token = await adminToken(cp.apiUrl);
    const response = await fetch(
      `${cp.apiUrl}/api/trpc/dataplanes.onChange?input=${encodeURIComponent("{}")}`,
      {
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
        signal: controller.signal,
      },
    );
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const started = Date.now();
    // Test mode pings every 2 s (streamKeepAliveMs); wait for two.
    while ((text.match(/^event: ping$/gm) ?? []).length < 2 && Date.now() - started < 8_000) {
      const { value, done } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) break;
      text += value;
    }
    expect(text).toMatch(/^event: connected$/m);
    expect((text.match(/^event: ping$/gm) ?? []).length).toBeGreaterThanOrEqual(2);
  });
});

/** A stand-in for loom-proxy speaking protocol v1 over real HTTPS: register, stream snapshots, ACK/NACK. */
async function fakeProxy(name: string, service: string, outbounds: { service: string; port: number }[]) {
  const { token } = await admin.tokens.dataplane.create.mutate({ service });
  const call = (method: string, urlPath: string, body?: unknown) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = https.request(new URL(urlPath, cp.dataplaneUrl), {
        method,
        ca: caPem,
        agent: false,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      });
      request.on("response", (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on("error", reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const registered = await call("POST", DATAPLANE_API.register, {
    name,
    mesh: "default",
    namespace: "default",
    adminPort: 9901,
    spec: { service, address: "127.0.0.1", inbound: [{ port: 18080, appPort: 8080 }], outbounds },
  });
  expect(registered.status).toBe(200);
  const { dataplaneId } = JSON.parse(registered.text) as { dataplaneId: string };

  const snapshots: Snapshot[] = [];
  const stream = https.get(new URL(`${DATAPLANE_API.stream}?dataplaneId=${dataplaneId}`, cp.dataplaneUrl), {
    ca: caPem,
    agent: false,
    headers: { authorization: `Bearer ${token}` },
  });
  stream.on("response", (response) => {
    let buffer = "";
    response.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (/^event: snapshot$/m.test(message) && data !== undefined)
          snapshots.push(JSON.parse(data) as Snapshot);
      }
    });
  });
  stream.on("error", () => {});
  cleanups.push(() => stream.destroy());

  return {
    id: Number(dataplaneId),
    snapshots,
    latest: () => waitFor(() => snapshots.at(-1), { what: `a snapshot for ${name}` }),
    ack: (version: string) => call("POST", DATAPLANE_API.ack, { dataplaneId, version, ok: true }),
    nack: (version: string, error: string) =>
      call("POST", DATAPLANE_API.ack, { dataplaneId, version, ok: false, error }),
  };
}

describe("dataplanes", () => {
  it("stream registrations, ACKs and NACKs to dataplanes.onChange, and list status and versions", async () => {
    const events = collect<{ change: string; dataplaneId: number }>((handlers) =>
      admin.dataplanes.onChange.subscribe({}, handlers),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const proxy = await fakeProxy("web-1", "web", [{ service: "cart", port: 15001 }]);
    const first = await proxy.latest();
    await proxy.ack(first.version);
    await waitFor(() => events.find((event) => event.change === "acked" && event.dataplaneId === proxy.id), {
      what: "the ACK event",
      timeoutMs: 2_000,
    });
    expect(events).toContainEqual({
      type: "dataplane",
      change: "registered",
      dataplaneId: proxy.id,
      mesh: "default",
    });

    const [listed] = (await admin.dataplanes.list.query({ service: "web" })).filter(
      (dp) => dp.id === proxy.id,
    );
    expect(listed).toMatchObject({
      name: "web-1",
      status: "online",
      ackedVersion: first.version,
      lastNack: null,
    });
    expect(Date.parse(listed?.lastSeenAt ?? "")).toBeGreaterThan(Date.now() - 10_000);

    await proxy.nack(first.version, "cannot bind 127.0.0.1:15001");
    await waitFor(() => events.find((event) => event.change === "nacked"), {
      what: "the NACK event",
      timeoutMs: 2_000,
    });
    expect(await admin.dataplanes.get.query({ id: proxy.id })).toMatchObject({
      lastNack: "cannot bind 127.0.0.1:15001",
    });
  });
});

describe("propagation", () => {
  it("counts the proxies that ACKed or NACKed the config carrying a write", async () => {
    const caller = await fakeProxy("web-2", "web", [{ service: "cart", port: 15002 }]);
    const bystander = await fakeProxy("cart-1", "cart", []);
    await caller.ack((await caller.latest()).version);
    await bystander.ack((await bystander.latest()).version);

    const before = caller.snapshots.length;
    // A kind no other test writes, so this policy is the one in force for cart.
    const retry = await admin.policies.create.mutate({
      kind: "Retry",
      metadata: { name: "propagated" },
      spec: { targetRef: { kind: "Service", name: "cart" }, attempts: 2 },
    });
    const write = {
      kind: "Retry" as const,
      name: "propagated",
      version: Number(retry.metadata.resourceVersion),
    };
    const changed = await waitFor(() => caller.snapshots.length > before && caller.snapshots.at(-1), {
      what: "the new snapshot",
    });
    expect(changed.outbounds[0]?.retry).toMatchObject({ name: "propagated" });

    const progress = collect<{ acked: number; pending: number; nacked: number }>((handlers) =>
      admin.propagation.watch.subscribe(write, handlers),
    );
    const pending = await admin.propagation.status.query(write);
    // The write's proxies in the mesh may include those of other tests: look at these two.
    const stateOf = (status: typeof pending, id: number) =>
      status.dataplanes.find((dp) => dp.id === id)?.state;
    expect(stateOf(pending, caller.id)).toBe("pending");
    // Its snapshot did not change: it already has everything this write means for it.
    expect(stateOf(pending, bystander.id)).toBe("acked");

    await caller.ack(changed.version);
    const acked = await waitFor(
      async () => {
        const status = await admin.propagation.status.query(write);
        return stateOf(status, caller.id) === "acked" && status;
      },
      { what: "the ACK to count" },
    );
    expect(acked.writtenAt).toBeTruthy();
    await waitFor(() => progress.length >= 2, { what: "progress updates on the watch", timeoutMs: 3_000 });

    const updated = await admin.policies.update.mutate({
      kind: "Retry",
      metadata: { name: "propagated", resourceVersion: retry.metadata.resourceVersion },
      spec: { targetRef: { kind: "Service", name: "cart" }, attempts: 4 },
    });
    const next = await waitFor(
      () => caller.snapshots.at(-1)?.version !== changed.version && caller.snapshots.at(-1),
      {
        what: "the second snapshot",
      },
    );
    await caller.nack(next.version, "cannot apply: test refusal");
    const nacked = await admin.propagation.status.query({
      ...write,
      version: Number(updated.metadata.resourceVersion),
    });
    expect(nacked.dataplanes.find((dp) => dp.id === caller.id)).toMatchObject({
      state: "nacked",
      error: "cannot apply: test refusal",
    });
  });
});
