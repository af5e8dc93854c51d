import path from "node:path";
import { type ProcessHandle, startProcess, waitForLine } from "@loom/test-harness";
import {
  ADMIN_PASSWORD,
  type ApiClient,
  adminToken,
  apiClient,
} from "../../../apps/control-plane/test/api/control-plane.ts";
import type { ControlPlaneAccess } from "./chain.ts";

const LOOM_CP_BIN = path.resolve(import.meta.dirname, "../../../apps/control-plane/bin/loom-cp.js");

export interface ControlPlaneOptions {
  dataDir: string;
  /** Fixed ports, so a restarted control plane is found where the proxies' bootstraps say it is. */
  port: number;
  dpPort: number;
  /** Where both listeners bind (the proxies must reach the data-plane API there). */
  host?: string;
  env?: Record<string, string | undefined>;
  name?: string;
}

export interface FaultControlPlane extends ControlPlaneAccess {
  process: ProcessHandle;
}

/** A real loom-cp; started again on the same data directory and ports, it is the same control plane back. */
export async function startFaultControlPlane(options: ControlPlaneOptions): Promise<FaultControlPlane> {
  const host = options.host ?? "127.0.0.1";
  const handle = await startProcess({
    name: options.name ?? "loom-cp",
    command: process.execPath,
    args: [LOOM_CP_BIN, "--port", String(options.port), "--dp-port", String(options.dpPort)],
    env: {
      LOOM_DATA_DIR: options.dataDir,
      LOOM_HOST: host,
      LOOM_DP_HOST: host,
      LOOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DATABASE_URL: undefined,
      ...options.env,
    },
    ready: { line: /^loom-cp ready: / },
    readyTimeoutMs: 60_000,
  });
  const [, apiUrl = "", dataplaneUrl = ""] = await waitForLine(
    handle,
    /^loom-cp ready: api (\S+) dataplane (\S+)/,
  );
  const admin: ApiClient = apiClient(apiUrl, { token: await adminToken(apiUrl) });
  return {
    process: handle,
    admin,
    apiUrl,
    dataplaneUrl,
    caFile: options.env?.LOOM_CA_CERT_FILE ?? path.join(options.dataDir, "ca", "root.crt"),
  };
}
