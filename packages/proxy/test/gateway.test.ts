import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, useProcesses, waitFor } from "@loom/test-harness";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoomProcess, startLoomProxy } from "./loom-process.ts";
import { type KeyPairFiles, makeCa, makeLeaf } from "./support/certs.ts";
import {
  type BootstrapInput,
  endpoint,
  request,
  type SimpleResponse,
  snapshot,
  startProxy,
  tempDir,
} from "./support/mesh.ts";

useProcesses();

const run = promisify(execFile);
const spiffe = (service: string) => `spiffe://loom.local/ns/default/sa/${service}`;

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A web app as a browser would meet it: HTML, two cookies set; it remembers every request it got. */
function startSiteApp(name: string): Promise<{ port: number; seen: SeenRequest[]; close(): void }> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    res.writeHead(200, [
      "Content-Type",
      "text/html; charset=utf-8",
      "Set-Cookie",
      "session=fresh; Path=/; HttpOnly",
      "Set-Cookie",
      "theme=dark; Path=/",
    ]);
    res.end(`<!doctype html><title>${name}</title><p>${name} says hello</p>`);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        seen,
        close: () => server.close(),
      }),
    ),
  );
}

/** The operator's public certificate for shop.example: self-signed, DNS SAN, nothing to do with the mesh CA. */
async function operatorCertificate(dir: string): Promise<KeyPairFiles> {
  const certFile = path.join(dir, "shop.example.crt");
  const keyFile = path.join(dir, "shop.example.key");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-subj",
    "/CN=shop.example",
    "-days",
    "1",
    "-addext",
    "subjectAltName=DNS:shop.example",
  ]);
  return { certFile, keyFile };
}

const BROWSER_HEADERS = {
  host: "shop.example",
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "accept-language": "en-GB,en;q=0.9",
  "user-agent":
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  cookie: "session=abc123; cart=7",
};

function httpsGet(port: number, urlPath: string, ca: string): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: "127.0.0.1", port, path: urlPath, servername: "shop.example", ca, headers: BROWSER_HEADERS },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
  });
}

const TAP_TOKEN = "gateway-tap-token";

/** Opens the admin port's /tap and collects its request events until closed. */
function openTap(
  adminUrl: string,
  query: string,
): Promise<{ events: Record<string, unknown>[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const events: Record<string, unknown>[] = [];
    const parser = createParser({
      onEvent: (event: EventSourceMessage) => {
        if (event.event === "request") events.push(JSON.parse(event.data));
      },
    });
    const req = http.get(
      `${adminUrl}/tap?${query}`,
      { headers: { authorization: `Bearer ${TAP_TOKEN}` } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`tap answered ${res.statusCode}`));
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => parser.feed(chunk));
        res.on("error", () => {});
        resolve({ events, close: () => req.destroy() });
      },
    );
    req.on("error", reject);
  });
}

/**
 * A strict-mTLS mesh of two sidecars (web, api), each in front of its app, and two gateways in front of
 * both: one serving plain HTTP, one TLS with the operator's certificate. All are `loom-proxy` processes.
 */
describe("gateway mode", () => {
  let webApp: Awaited<ReturnType<typeof startSiteApp>>;
  let apiApp: Awaited<ReturnType<typeof startSiteApp>>;
  let gateway: LoomProcess;
  let plainUrl: string;
  let tlsPort: number;
  let operatorCa: string;
  let webSidecarAdmin: string;

  beforeAll(async () => {
    const dir = await tempDir();
    const ca = await makeCa(dir, "mesh-ca");
    const [gatewayCert, webCert, apiCert, operator] = await Promise.all([
      makeLeaf(dir, "gateway", spiffe("gateway"), ca),
      makeLeaf(dir, "web", spiffe("web"), ca),
      makeLeaf(dir, "api", spiffe("api"), ca),
      operatorCertificate(dir),
    ]);
    operatorCa = await readFile(operator.certFile, "utf8");
    [webApp, apiApp] = await Promise.all([startSiteApp("web"), startSiteApp("api")]);
    const ports = await Promise.all(Array.from({ length: 10 }, () => freePort()));
    const port = (index: number) => ports[index] as number;
    const [webInbound, apiInbound, plainPort] = [port(0), port(1), port(2)];
    tlsPort = port(3);

    const [webSidecar] = await Promise.all([
      startProxy(dir, {
        name: "web",
        service: "web",
        snapshot: snapshot({ service: "web", mtls: "strict" }),
        inbound: [{ port: webInbound, appPort: webApp.port }],
        tls: { ...webCert, caFile: ca.certFile },
      }),
      startProxy(dir, {
        name: "api",
        service: "api",
        snapshot: snapshot({
          service: "api",
          mtls: "strict",
          inbound: {
            trafficPermission: {
              name: "internal-stays-inside",
              spec: {
                targetRef: { kind: "Service", name: "api" },
                from: [
                  {
                    targetRef: { kind: "Service", name: "gateway" },
                    action: "Deny",
                    match: { paths: ["/api/internal"] },
                  },
                ],
              },
            },
          },
        }),
        inbound: [{ port: apiInbound, appPort: apiApp.port }],
        tls: { ...apiCert, caFile: ca.certFile },
      }),
    ]);
    webSidecarAdmin = webSidecar.adminUrl;

    const gatewayBootstrap = (
      name: string,
      first: number,
      gateway: BootstrapInput["gateway"],
    ): BootstrapInput => ({
      name,
      dataplane: { service: "gateway", gateway: true },
      adminPort: port(first),
      snapshot: snapshot({
        service: "gateway",
        mtls: "strict",
        outbounds: [
          {
            service: "web",
            port: port(first + 1),
            protocol: "http",
            endpoints: [endpoint("web", webInbound)],
          },
          {
            service: "api",
            port: port(first + 2),
            protocol: "http",
            endpoints: [endpoint("api", apiInbound)],
          },
        ],
      }),
      tls: { ...gatewayCert, caFile: ca.certFile },
      gateway,
      tapToken: TAP_TOKEN,
    });
    const routes = [
      { host: "shop.example", service: "web" },
      { host: "shop.example", pathPrefix: "/api", service: "api" },
      { pathPrefix: "/healthz", service: "web" },
      { host: "shop.example", pathPrefix: "/legacy", service: "legacy" },
    ];
    [gateway] = await Promise.all([
      startLoomProxy(dir, gatewayBootstrap("gateway", 4, { port: plainPort, routes }), { gateway: true }),
      startLoomProxy(dir, gatewayBootstrap("gateway-tls", 7, { port: tlsPort, routes, tls: operator }), {
        gateway: true,
      }),
    ]);
    plainUrl = `http://127.0.0.1:${plainPort}`;
  });

  afterAll(() => {
    webApp?.close();
    apiApp?.close();
  });

  it("carries a browser-style request into the strict mesh and back, cookies and all; tap shows both hops", async () => {
    const tap = await openTap(gateway.adminUrl, "path=/products");
    const response = await request(`${plainUrl}/products?id=7`, { headers: BROWSER_HEADERS });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("web says hello");
    expect(response.headers["set-cookie"]).toEqual(["session=fresh; Path=/; HttpOnly", "theme=dark; Path=/"]);

    expect(webApp.seen).toHaveLength(1);
    expect(apiApp.seen).toHaveLength(0);
    const seen = webApp.seen[0] as SeenRequest;
    expect(seen.url).toBe("/products?id=7");
    expect(seen.headers.host).toBe("shop.example");
    expect(seen.headers.cookie).toBe("session=abc123; cart=7");
    expect(seen.headers.accept).toBe(BROWSER_HEADERS.accept);
    expect(seen.headers["user-agent"]).toBe(BROWSER_HEADERS["user-agent"]);
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

    // The web sidecar (strict mTLS) saw the call arrive over mTLS from the gateway's identity.
    const metrics = (await request(`${webSidecarAdmin}/metrics`)).body;
    expect(metrics).toMatch(
      /loom_requests_total\{[^}]*direction="inbound",source="gateway"[^}]*tls="true"\} 1/,
    );

    await waitFor(() => tap.events.length === 2, { what: "two tap events", timeoutMs: 5_000 });
    tap.close();
    expect(tap.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          direction: "inbound",
          source: "unknown",
          destination: "gateway",
          status: 200,
        }),
        expect.objectContaining({
          direction: "outbound",
          source: "gateway",
          destination: "web",
          status: 200,
        }),
      ]),
    );
  });

  it("serves the public side over TLS with the operator's certificate and routes by path prefix", async () => {
    const response = await httpsGet(tlsPort, "/api/cart", operatorCa);
    expect(response.status).toBe(200);
    expect(response.body).toContain("api says hello");
    const seen = apiApp.seen.at(-1) as SeenRequest;
    expect(seen.url).toBe("/api/cart");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
  });

  it("matches path prefixes by whole segments and routes host-less routes for any host", async () => {
    const apiBefore = apiApp.seen.length;
    const apiary = await request(`${plainUrl}/apiary`, { headers: { host: "shop.example" } });
    expect(apiary.body).toContain("web says hello");
    const health = await request(`${plainUrl}/healthz`, { headers: { host: "10.0.0.1:8080" } });
    expect(health.status).toBe(200);
    expect(health.body).toContain("web says hello");
    expect(apiApp.seen.length).toBe(apiBefore);
  });

  it("answers 404 with a clear body for an unknown host or path, and the mesh never sees it", async () => {
    const webBefore = webApp.seen.length;
    const unknownHost = await request(`${plainUrl}/`, { headers: { host: "Unknown.Example:80" } });
    expect(unknownHost.status).toBe(404);
    expect(unknownHost.body).toBe("no gateway route for host unknown.example and path /\n");
    const unknownPath = await request(`${plainUrl}/healthzz?x=1`, { headers: { host: "other.example" } });
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.body).toBe("no gateway route for host other.example and path /healthzz\n");
    expect(webApp.seen.length).toBe(webBefore);
  });

  it("answers 503 naming the service when a route's service has no outbound in the config", async () => {
    const response = await request(`${plainUrl}/legacy/orders`, { headers: BROWSER_HEADERS });
    expect(response.status).toBe(503);
    expect(response.body).toBe("the gateway's config has no outbound for legacy\n");
  });

  it("is held to the destination's TrafficPermission under its own identity", async () => {
    const apiBefore = apiApp.seen.length;
    const denied = await request(`${plainUrl}/api/internal/users`, { headers: BROWSER_HEADERS });
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("internal-stays-inside");
    expect(apiApp.seen.length).toBe(apiBefore);
  });

  it("records the public side as its inbound and the hop to the service as its outbound", async () => {
    const metrics = (await request(`${gateway.adminUrl}/metrics`)).body;
    expect(metrics).toMatch(
      /loom_requests_total\{direction="inbound",source="unknown",destination="gateway"[^}]*status_class="4xx"[^}]*\} 3/,
    );
    expect(metrics).toMatch(
      /loom_requests_total\{direction="outbound",source="gateway",destination="web"[^}]*status_class="2xx",classification="success",tls="true"\} 3/,
    );
  });
});
