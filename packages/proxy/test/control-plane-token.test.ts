import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { bootstrapSchema } from "@loom/spec";
import { describe, expect, it } from "vitest";
import { otlpAuthHeaders } from "../src/control-plane-token.ts";

const managed = (tracing: Record<string, unknown>, controlPlane: Record<string, unknown> = {}) =>
  bootstrapSchema.parse({
    name: "web-1",
    dataplane: { service: "web" },
    adminPort: 9901,
    controlPlane: { url: "https://cp.mesh.internal:5681", token: "loom_dp_secret", ...controlPlane },
    tracing,
  });

describe("the OTLP exporter's Authorization header", () => {
  it("carries the dataplane token when spans go to the control plane's host", async () => {
    const headers = otlpAuthHeaders(managed({ otlpUrl: "http://cp.mesh.internal:5680/v1/traces" }));
    expect(await headers?.()).toEqual({ authorization: "Bearer loom_dp_secret" });
  });

  it("reads a tokenFile once, trimmed", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "loom-otlp-token-")), "token");
    await writeFile(file, "loom_dp_from_file\n");
    const headers = otlpAuthHeaders(
      managed({ otlpUrl: "http://cp.mesh.internal:5680/v1/traces" }, { token: undefined, tokenFile: file }),
    );
    expect(await headers?.()).toEqual({ authorization: "Bearer loom_dp_from_file" });
    await writeFile(file, "changed");
    expect(await headers?.()).toEqual({ authorization: "Bearer loom_dp_from_file" });
  });

  it("is not sent to a collector on another host unless sendToken says so", async () => {
    expect(otlpAuthHeaders(managed({ otlpUrl: "http://collector.example:4318/v1/traces" }))).toBeUndefined();
    const opted = otlpAuthHeaders(
      managed({ otlpUrl: "http://collector.example:4318/v1/traces", sendToken: true }),
    );
    expect(await opted?.()).toEqual({ authorization: "Bearer loom_dp_secret" });
    const refused = managed({ otlpUrl: "http://cp.mesh.internal:5680/v1/traces", sendToken: false });
    expect(otlpAuthHeaders(refused)).toBeUndefined();
  });

  it("is absent for a standalone proxy, which has no token", () => {
    // A standalone bootstrap has a snapshot instead; only the missing controlPlane matters here.
    const standalone = {
      ...managed({ otlpUrl: "http://127.0.0.1:4318/v1/traces", sendToken: true }),
      controlPlane: undefined,
    };
    expect(otlpAuthHeaders(standalone)).toBeUndefined();
  });
});
