import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, type ProcessHandle, startProcess } from "@loom/test-harness";

/**
 * A throwaway PostgreSQL cluster of this test's own (initdb in a temp directory, its own port), so restarting
 * it disturbs nobody else's database. Root cannot run the server, so it then runs as the `postgres` user.
 */
export interface ThrowawayPostgres {
  url: string;
  /** Fast shutdown (open sessions are terminated), as a restart by an operator or a failover does. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it if it runs and deletes its files. */
  destroy(): Promise<void>;
}

const READY = /database system is ready to accept connections/;

/** PostgreSQL's server binaries, or why they cannot be used. */
export function findPostgresBinaries(): { bindir: string } | { missing: string } {
  const candidates = [
    ...(existsSync("/usr/lib/postgresql")
      ? readdirSync("/usr/lib/postgresql")
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => `/usr/lib/postgresql/${version}/bin`)
      : []),
    "/usr/local/bin",
    "/usr/bin",
  ];
  const bindir = candidates.find(
    (dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "postgres")),
  );
  return bindir ? { bindir } : { missing: `no initdb and postgres binaries in ${candidates.join(", ")}` };
}

export async function startThrowawayPostgres(bindir: string): Promise<ThrowawayPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), "loom-fault-pg-"));
  const dataDir = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const runAs = (command: string, args: string[]) =>
    asRoot ? { command: "runuser", args: ["-u", "postgres", "--", command, ...args] } : { command, args };
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    await chown(dir, uid, gid);
  }
  const initdb = runAs(path.join(bindir, "initdb"), [
    "-D",
    dataDir,
    "--auth=trust",
    "--username=postgres",
    "--no-sync",
  ]);
  execFileSync(initdb.command, initdb.args, { stdio: "pipe" });
  const port = await freePort();
  let server: ProcessHandle | undefined;
  const start = async () => {
    server = await startProcess({
      name: "throwaway postgres",
      ...runAs(path.join(bindir, "postgres"), [
        "-D",
        dataDir,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${dir}`,
        "-c",
        "fsync=off",
      ]),
      ready: { line: READY },
      readyTimeoutMs: 30_000,
    });
  };
  const stop = async () => {
    // SIGINT is PostgreSQL's fast shutdown.
    await server?.stop({ signal: "SIGINT", graceMs: 15_000 });
    server = undefined;
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
