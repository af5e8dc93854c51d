import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AppRouter } from "@loom/control-plane/router";
import { type ProcessHandle, startProcess, waitForLine } from "@loom/test-harness";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import { LOOM_CP_BIN } from "./paths.ts";

export const ADMIN = { username: "admin", password: "admin-password-for-e2e" };

export type ApiClient = TRPCClient<AppRouter>;

export interface RunningControlPlane {
  process: ProcessHandle;
  apiUrl: string;
  dataplaneUrl: string;
  dataDir: string;
  /** The control plane's API as the first admin, through a CLI token (what loomctl does). */
  admin: ApiClient;
}

/** A real loom-cp in test mode on free ports, with its own data directory and SQLite files. */
export async function startControlPlane(): Promise<RunningControlPlane> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "loom-e2e-cp-"));
  const handle = await startProcess({
    name: "loom-cp",
    command: process.execPath,
    args: [LOOM_CP_BIN, "--port", "0", "--dp-port", "0", "--data-dir", dataDir],
    env: { LOOM_ADMIN_PASSWORD: ADMIN.password, DATABASE_URL: undefined },
    ready: { line: /^loom-cp ready: / },
  });
  const [, apiUrl = "", dataplaneUrl = ""] = await waitForLine(
    handle,
    /^loom-cp ready: api (\S+) dataplane (\S+)/,
  );
  const { token } = await apiClient(apiUrl).auth.createCliToken.mutate(ADMIN);
  return { process: handle, apiUrl, dataplaneUrl, dataDir, admin: apiClient(apiUrl, token) };
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
