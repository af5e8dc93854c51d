import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { describe, expect, it } from "vitest";
import { endpoint, request, snapshot, startApp, startProxy, tempDir } from "./support/mesh.ts";

useProcesses();

/** JSON objects among a process's output lines (other lines are its ordinary log). */
function jsonLines(logs: string): Record<string, unknown>[] {
  return logs
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("access log", () => {
  it("writes one JSON line per request where it is on, and none where it is off (the default)", async () => {
    const dir = await tempDir();
    const app = await startApp("backend-app", "v1");
    const [inboundPort, outboundPort] = await Promise.all([freePort(), freePort()]);
    const backend = await startProxy(dir, {
      name: "backend",
      service: "backend",
      snapshot: snapshot({ service: "backend", version: "v1" }),
      inbound: [{ port: inboundPort, appPort: app.port }],
      accessLog: true,
    });
    const web = await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        outbounds: [
          {
            service: "backend",
            port: outboundPort,
            protocol: "http",
            endpoints: [endpoint("backend", inboundPort)],
          },
        ],
      }),
    });
    for (const path of ["/a", "/b?x=1", "/c"]) {
      expect((await request(`http://127.0.0.1:${outboundPort}${path}`)).status).toBe(200);
    }
    const entries = await waitFor(
      () => {
        const lines = jsonLines(backend.process.logs()).filter((entry) => entry.direction === "inbound");
        return lines.length === 3 && lines;
      },
      { what: "three access-log lines from the backend's proxy" },
    );
    expect(entries.map((entry) => entry.path)).toEqual(["/a", "/b?x=1", "/c"]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ method: "GET", status: 200, destination: "backend" });
      expect(typeof entry.durationMs).toBe("number");
      expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false);
    }
    expect(jsonLines(web.process.logs())).toEqual([]);
  });
});
