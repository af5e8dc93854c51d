import path from "node:path";
import type { AppRouter } from "@loom/control-plane/router";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import { canaryRouteResource, meshResource, serviceResources, toYaml } from "./resources.ts";
import type { Supervisor } from "./supervisor.ts";
import { CANARY_SERVICE } from "./topology.ts";

export const LOOM_CP_BIN = path.resolve(import.meta.dirname, "../../../apps/control-plane/bin/loom-cp.js");

export type ApiClient = TRPCClient<AppRouter>;

export interface ControlPlaneEndpoints {
  apiUrl: string;
  dataplaneUrl: string;
  /** The root that signed the data-plane API's HTTPS certificate: what the proxies trust it by. */
  caFile: string;
}

export interface ControlPlaneOptions {
  dataDir: string;
  apiPort: number;
  dataplanePort: number;
  adminPassword: string;
  logFile: string;
  env: NodeJS.ProcessEnv;
}

/** loom-cp applies the store's migrations as it starts, then prints its URLs. */
export async function startControlPlane(
  supervisor: Supervisor,
  options: ControlPlaneOptions,
): Promise<ControlPlaneEndpoints> {
  const child = supervisor.start({
    name: "control-plane",
    command: process.execPath,
    args: [
      LOOM_CP_BIN,
      ...["--port", String(options.apiPort), "--dp-port", String(options.dataplanePort)],
      ...["--data-dir", options.dataDir],
    ],
    env: { ...options.env, LOOM_ADMIN_PASSWORD: options.adminPassword },
    logFile: options.logFile,
  });
  const [, apiUrl = "", dataplaneUrl = ""] = await child.waitForLine(
    /^loom-cp ready: api (\S+) dataplane (\S+)/,
    120_000,
  );
  return { apiUrl, dataplaneUrl, caFile: path.join(options.dataDir, "ca", "root.crt") };
}

export function apiClient(apiUrl: string, token?: string): ApiClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${apiUrl}/api/trpc`,
        headers: { "x-loom-csrf": "1", ...(token && { authorization: `Bearer ${token}` }) },
      }),
    ],
  });
}

/** An API token of the admin user, as `loomctl login` gets one. */
export async function signInAsAdmin(apiUrl: string, password: string): Promise<ApiClient> {
  try {
    const { token } = await apiClient(apiUrl).auth.createCliToken.mutate({
      username: "admin",
      password,
      tokenName: "loom-demo",
    });
    return apiClient(apiUrl, token);
  } catch (error) {
    throw new Error(
      `cannot sign in as admin (${error instanceof Error ? error.message : error}): the demo's store was made ` +
        "with another password. Start with that LOOM_ADMIN_PASSWORD, or with --fresh to begin anew.",
    );
  }
}

/**
 * The Mesh and the Services every run (so the flags decide the sampling rate), and the starting split of
 * cart only when no route for it exists: a split made in the console survives a restart of the demo.
 */
export async function applyDemoResources(
  admin: ApiClient,
  samplingRate: number,
): Promise<{ yaml: string; routeCreated: boolean }> {
  const routes = await admin.policies.list.query({ kind: "TrafficRoute" });
  const hasRoute = routes.some(
    (route) => route.kind === "TrafficRoute" && route.spec.targetRef.name === CANARY_SERVICE,
  );
  const yaml = toYaml([
    meshResource(samplingRate),
    ...serviceResources(),
    ...(hasRoute ? [] : [canaryRouteResource()]),
  ]);
  await admin.policies.applyYaml.mutate({ text: yaml, source: "loom demo" });
  return { yaml, routeCreated: !hasRoute };
}
