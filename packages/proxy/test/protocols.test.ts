import http2 from "node:http2";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startProcess, useProcesses, waitForLine } from "@loom/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCa, makeLeaf } from "./support/certs.ts";
import { grpcCall } from "./support/grpc-client.ts";
import { endpoint, request, snapshot, startProxy, startTcpEcho, tempDir } from "./support/mesh.ts";

useProcesses();

const GRPC_APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "apps/grpc-app.mjs");

/** gRPC and raw TCP, each through two strict-mTLS sidecars: client → web's outbound → backend's inbound → app. */
describe("HTTP/2 (gRPC) and TCP through two sidecars over mTLS", () => {
  let grpcUrl: string;
  let tcpPort: number;
  let webAdmin: string;
  let session: http2.ClientHttp2Session;

  beforeAll(async () => {
    const dir = await tempDir();
    const ca = await makeCa(dir, "mesh-ca");
    const [webCert, backendCert] = await Promise.all([
      makeLeaf(dir, "web", "spiffe://loom.local/ns/default/sa/web", ca),
      makeLeaf(dir, "backend", "spiffe://loom.local/ns/default/sa/backend", ca),
    ]);
    const grpcApp = await startProcess({ name: "grpc-app", command: process.execPath, args: [GRPC_APP] });
    const grpcAppPort = Number((await waitForLine(grpcApp, /listening on (\d+)/))[1]);
    const echo = await startTcpEcho("tcp-echo");
    const [grpcInbound, tcpInbound, grpcOutbound, tcpOutbound] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    await startProxy(dir, {
      name: "backend",
      service: "backend",
      snapshot: snapshot({ service: "backend", mtls: "strict" }),
      inbound: [
        { port: grpcInbound, appPort: grpcAppPort, protocol: "grpc" },
        { port: tcpInbound, appPort: echo.port, protocol: "tcp" },
      ],
      tls: { ...backendCert, caFile: ca.certFile },
    });
    const web = await startProxy(dir, {
      name: "web",
      service: "web",
      snapshot: snapshot({
        service: "web",
        mtls: "strict",
        outbounds: [
          {
            service: "backend",
            port: grpcOutbound,
            protocol: "grpc",
            endpoints: [endpoint("backend", grpcInbound)],
          },
          {
            service: "backend",
            port: tcpOutbound,
            protocol: "tcp",
            endpoints: [endpoint("backend", tcpInbound)],
          },
        ],
      }),
      tls: { ...webCert, caFile: ca.certFile },
    });
    webAdmin = web.adminUrl;
    grpcUrl = `http://127.0.0.1:${grpcOutbound}`;
    tcpPort = tcpOutbound;
    session = http2.connect(grpcUrl);
  });

  afterAll(() => session?.close());

  it("carries unary calls, with grpc-status in trailers", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        grpcCall(session, "/loom.test.Echo/Unary", (write, end) => {
          write(`hello-${index}`);
          end();
        }),
      ),
    );
    results.forEach((result, index) => {
      expect(result.messages).toEqual([`v1:hello-${index}`]);
      expect(result.status).toBe("0");
    });
  });

  it("carries a trailers-only error status", async () => {
    const result = await grpcCall(session, "/loom.test.Echo/Fail", (_write, end) => end());
    expect(result.status).toBe("5");
    expect(result.message).toBe("nothing here");
  });

  it("streams server-side messages as they are produced", async () => {
    const result = await grpcCall(session, "/loom.test.Echo/ServerStream", (write, end) => {
      write("25");
      end();
    });
    expect(result.messages).toEqual(Array.from({ length: 25 }, (_, index) => `v1:item-${index}`));
    expect(result.status).toBe("0");
  });

  it("carries a bidirectional stream message by message", async () => {
    let sent = 1;
    const result = await grpcCall(
      session,
      "/loom.test.Echo/BidiStream",
      (write) => write("ping-0"),
      // Each reply triggers the next message: proof the stream is not buffered anywhere on the way.
      (_message, write, end) => {
        if (sent < 10) write(`ping-${sent++}`);
        else end();
      },
    );
    expect(result.messages).toEqual(Array.from({ length: 10 }, (_, index) => `v1:ping-${index}`));
    expect(result.status).toBe("0");
  });

  it("carries a TCP echo protocol and counts its bytes", async () => {
    const socket = net.connect(tcpPort, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const payload = Buffer.alloc(100_000, "x");
    socket.write(payload);
    await expect.poll(() => Buffer.concat(received).length, { timeout: 5_000 }).toBe(payload.length);
    socket.write("bye\n");
    await expect
      .poll(() => Buffer.concat(received).toString().endsWith("bye\n"), { timeout: 5_000 })
      .toBe(true);
    socket.end();
    await new Promise((resolve) => socket.once("close", resolve));
    const tcpSeries = (flow: string) =>
      new RegExp(
        `loom_tcp_bytes_total\\{direction="outbound",source="web",destination="backend",flow="${flow}"\\} 100004`,
      );
    await expect
      .poll(async () => (await request(`${webAdmin}/metrics`)).body, { timeout: 5_000 })
      .toMatch(tcpSeries("rx"));
    const body = (await request(`${webAdmin}/metrics`)).body;
    expect(body).toMatch(tcpSeries("tx"));
    expect(body).toMatch(
      /loom_tcp_connections_total\{direction="outbound",source="web",destination="backend",tls="true"\} 1/,
    );
  });
});
