import type { BootstrapInput } from "@loom/spec";
import { freePort } from "./ports.ts";
import type { ShopConfig } from "./shop/config.ts";
import { ENTRY_SERVICE, GATEWAY_SERVICE, instanceName, SHOP } from "./topology.ts";

export interface ProxyPlan {
  name: string;
  service: string;
  gateway: boolean;
  adminPort: number;
  bootstrap: BootstrapInput;
}

/** Every port of the demo's mesh, and what each proxy and the shop are told about them. */
export interface MeshLayout {
  shop: ShopConfig;
  proxies: ProxyPlan[];
  gatewayPort: number;
}

export interface LayoutOptions {
  gatewayPort: number;
  shopControlPort: number;
  controlPlane: { url: string; caFile: string };
  /** The address proxies register: where peers and the control plane's scraper reach them. */
  advertise: string;
  /** Per service, the file holding its dataplane token. */
  tokenFiles: Record<string, string>;
  /** Where proxies send spans (the control plane's OTLP receiver). */
  otlpUrl: string;
}

/** Ports picked here (free ones) for every app, inbound, outbound and admin listener. */
export async function planMesh(options: LayoutOptions): Promise<MeshLayout> {
  const taken = new Set([options.gatewayPort, options.shopControlPort]);
  const allocate = async () => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const managed = (service: string): Pick<BootstrapInput, "controlPlane" | "tracing"> => ({
    controlPlane: { ...options.controlPlane, tokenFile: tokenFileOf(options.tokenFiles, service) },
    tracing: { otlpUrl: options.otlpUrl },
  });

  const shop: ShopConfig = {
    controlPort: options.shopControlPort,
    // Reachable from outside only where the proxies are (in a container, say).
    controlHost: options.advertise === "127.0.0.1" ? "127.0.0.1" : "0.0.0.0",
    instances: [],
  };
  const proxies: ProxyPlan[] = [];
  for (const service of SHOP) {
    for (const [version, behaviour] of Object.entries(service.versions)) {
      const name = instanceName(service.name, version);
      const [appPort, inboundPort, adminPort] = [await allocate(), await allocate(), await allocate()];
      const outbounds = [];
      for (const upstream of service.calls) outbounds.push({ service: upstream, port: await allocate() });
      shop.instances.push({
        name,
        service: service.name,
        version,
        protocol: service.protocol,
        port: appPort,
        upstreams: Object.fromEntries(outbounds.map((outbound) => [outbound.service, outbound.port])),
        behaviour,
      });
      proxies.push({
        name,
        service: service.name,
        gateway: false,
        adminPort,
        bootstrap: {
          name,
          dataplane: {
            service: service.name,
            tags: { version },
            address: options.advertise,
            inbound: [{ port: inboundPort, appPort, protocol: service.protocol }],
            outbounds,
          },
          adminPort,
          ...managed(service.name),
        },
      });
    }
  }

  const gatewayAdminPort = await allocate();
  const entryPort = await allocate();
  proxies.push({
    name: GATEWAY_SERVICE,
    service: GATEWAY_SERVICE,
    gateway: true,
    adminPort: gatewayAdminPort,
    bootstrap: {
      name: GATEWAY_SERVICE,
      dataplane: {
        service: GATEWAY_SERVICE,
        gateway: true,
        address: options.advertise,
        outbounds: [{ service: ENTRY_SERVICE, port: entryPort }],
      },
      adminPort: gatewayAdminPort,
      gateway: { port: options.gatewayPort, routes: [{ pathPrefix: "/", service: ENTRY_SERVICE }] },
      ...managed(GATEWAY_SERVICE),
    },
  });
  return { shop, proxies, gatewayPort: options.gatewayPort };
}

function tokenFileOf(tokenFiles: Record<string, string>, service: string): string {
  const file = tokenFiles[service];
  if (file === undefined) throw new Error(`no dataplane token for ${service}`);
  return file;
}
