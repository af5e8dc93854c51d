import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort, type ProcessHandle, startProcess, waitFor } from "@loom/test-harness";

export const PROMETHEUS_BIN = "/usr/bin/prometheus";

/** CI installs Prometheus (Debian's package), so there a missing binary fails the suite instead of skipping it. */
export const skipWithoutPrometheus = !existsSync(PROMETHEUS_BIN) && process.env.CI !== "true";

export interface RunningPrometheus {
  process: ProcessHandle;
  url: string;
}

/** A real Prometheus with its own config and storage in `dir`, scraping `targets` (host:port) every `intervalMs`. */
export async function startPrometheus(
  dir: string,
  targets: string[],
  intervalMs: number,
): Promise<RunningPrometheus> {
  if (!existsSync(PROMETHEUS_BIN))
    throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install -y prometheus`);
  const port = await freePort();
  const config = path.join(dir, "prometheus.yml");
  await writeFile(
    config,
    JSON.stringify({
      global: {
        scrape_interval: `${intervalMs}ms`,
        scrape_timeout: `${Math.round(intervalMs * 0.9)}ms`,
        evaluation_interval: `${intervalMs}ms`,
      },
      scrape_configs: [{ job_name: "loom-proxies", static_configs: [{ targets }] }],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const handle = await startProcess({
    name: "prometheus",
    command: PROMETHEUS_BIN,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    ready: { url: `${url}/-/ready` },
    readyTimeoutMs: 30_000,
  });
  return { process: handle, url };
}

/** Prometheus applies a new config's targets only after a few seconds; data before that would be missing. */
export async function waitForTargetsUp(url: string, count: number): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: "count(up == 1)" })}`);
      const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0) === count;
    },
    { what: `Prometheus scraping ${count} targets`, timeoutMs: 20_000, intervalMs: 250 },
  );
}
