import { useProcesses } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { adminToken, apiClient, failure, startControlPlane } from "../api/control-plane.ts";

useProcesses();

/** One span as OTLP/HTTP JSON, as any SDK sends it. */
function otlpBody(traceId: string): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "auth-test" } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: "00000000000000a1",
                name: "GET /",
                kind: 2,
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now + 1_000_000n),
              },
            ],
          },
        ],
      },
    ],
  });
}

async function send(apiUrl: string, traceId: string, authorization?: string) {
  const response = await fetch(`${apiUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization && { authorization }) },
    body: otlpBody(traceId),
  });
  return { status: response.status, body: await response.text() };
}

describe("/v1/traces authentication (real loom-cp)", () => {
  it("by default takes dataplane and editor/admin API tokens and refuses none, garbage, revoked or viewer ones", async () => {
    const controlPlane = await startControlPlane();
    const admin = apiClient(controlPlane.apiUrl, { token: await adminToken(controlPlane.apiUrl) });
    const dataplane = await admin.tokens.dataplane.create.mutate({ service: "auth-test" });
    const api = await admin.tokens.api.create.mutate({ name: "otlp-sender", role: "editor" });
    const viewer = await admin.tokens.api.create.mutate({ name: "otlp-reader", role: "viewer" });

    const missing = await send(controlPlane.apiUrl, "a".repeat(32));
    expect(missing.status).toBe(401);
    expect(missing.body).toContain("Authorization: Bearer");
    expect((await send(controlPlane.apiUrl, "b".repeat(32), "Bearer not-a-token")).status).toBe(401);
    expect((await send(controlPlane.apiUrl, "c".repeat(32), "Basic abc")).status).toBe(401);

    expect((await send(controlPlane.apiUrl, "d".repeat(32), `Bearer ${dataplane.token}`)).status).toBe(200);
    expect((await send(controlPlane.apiUrl, "e".repeat(32), `Bearer ${api.token}`)).status).toBe(200);
    // A viewer's token only reads: spans are writes.
    expect((await send(controlPlane.apiUrl, "9".repeat(32), `Bearer ${viewer.token}`)).status).toBe(401);

    await admin.tokens.dataplane.revoke.mutate({ id: dataplane.record.id });
    // loom-cp trusts a token it checked for 2 s (one store lookup per exporter, not per batch).
    await expect
      .poll(
        async () => (await send(controlPlane.apiUrl, "f".repeat(32), `Bearer ${dataplane.token}`)).status,
        {
          timeout: 10_000,
          interval: 500,
        },
      )
      .toBe(401);

    // What was accepted is stored; what was refused is not.
    const storedSpans = (traceId: string) =>
      admin.traces.get.query({ traceId }).then(
        (spans) => spans.length,
        () => 0,
      );
    await expect.poll(() => storedSpans("e".repeat(32)), { timeout: 10_000 }).toBe(1);
    expect(await storedSpans("d".repeat(32))).toBe(1);
    for (const refused of ["a", "9"])
      expect((await failure(admin.traces.get.query({ traceId: refused.repeat(32) }))).code).toBe("NOT_FOUND");
  });

  it("with LOOM_OTLP_ALLOW_ANONYMOUS=1 is open to SDKs without a token, but refuses a token that is not valid", async () => {
    const controlPlane = await startControlPlane({ env: { LOOM_OTLP_ALLOW_ANONYMOUS: "1" } });
    expect((await send(controlPlane.apiUrl, "1".repeat(32))).status).toBe(200);
    expect((await send(controlPlane.apiUrl, "2".repeat(32), "Bearer revoked-or-made-up")).status).toBe(401);
  });
});
