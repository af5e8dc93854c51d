import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BootstrapInput } from "@loom/spec";
import { type ProcessHandle, startProcess } from "@loom/test-harness";

const PROXY_BIN = fileURLToPath(new URL("../bin/loom-proxy.js", import.meta.url));

export interface LoomProcess {
  process: ProcessHandle;
  adminUrl: string;
}

/**
 * A loom-proxy process from any bootstrap (support/mesh.ts's startProxy covers the sidecar fields only):
 * the gateway section, tapToken, `--gateway`. Ready once it prints that it started, which in gateway mode
 * is after the public listener is bound.
 */
export async function startLoomProxy(
  dir: string,
  bootstrap: BootstrapInput,
  { gateway = false }: { gateway?: boolean } = {},
): Promise<LoomProcess> {
  const bootstrapFile = path.join(dir, `${bootstrap.name}.json`);
  await writeFile(bootstrapFile, JSON.stringify(bootstrap, null, 2));
  const handle = await startProcess({
    name: bootstrap.name,
    command: process.execPath,
    args: [PROXY_BIN, "--bootstrap", bootstrapFile, ...(gateway ? ["--gateway"] : [])],
    ready: { line: new RegExp(`loom-proxy ${bootstrap.name} started`) },
  });
  return { process: handle, adminUrl: `http://127.0.0.1:${bootstrap.adminPort}` };
}
