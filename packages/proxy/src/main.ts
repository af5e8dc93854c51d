import { timer } from "@loom/spec";
import { Command } from "commander";
import { loadBootstrap } from "./bootstrap.ts";
import { LoomProxy } from "./proxy.ts";
import { FileTlsMaterial } from "./tls-material.ts";

const program = new Command("loom-proxy")
  .description("Loom's sidecar proxy: the data plane of one service instance")
  .requiredOption("--bootstrap <file>", "bootstrap file (YAML or JSON)")
  .option("--gateway", "run as the mesh's ingress gateway", false)
  .parse();

const options = program.opts<{ bootstrap: string; gateway: boolean }>();

async function main(): Promise<void> {
  const bootstrap = await loadBootstrap(options.bootstrap);
  if (!bootstrap.snapshot) {
    throw new Error("managed mode (controlPlane) is not wired into loom-proxy yet; give a static snapshot");
  }
  if (options.gateway) throw new Error("gateway mode is not available yet");
  const tls = bootstrap.tls ? new FileTlsMaterial(bootstrap.tls) : undefined;
  const proxy = new LoomProxy(bootstrap, { tls });
  await proxy.start();
  const applied = await proxy.applySnapshot(bootstrap.snapshot);
  if (!applied.ok) throw new Error(`cannot apply the bootstrap snapshot: ${applied.error}`);

  process.once("SIGTERM", () => {
    const forced = setTimeout(() => process.exit(1), timer("drainTimeoutMs") + 2_000);
    forced.unref();
    proxy.shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(`loom-proxy ${bootstrap.name} ready\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`loom-proxy: ${error.message}\n`);
  process.exit(1);
});
