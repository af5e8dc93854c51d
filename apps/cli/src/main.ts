import { Command, CommanderError } from "commander";
import { applyCommand } from "./commands/apply.ts";
import { deleteCommand } from "./commands/delete.ts";
import { describeCommand } from "./commands/describe.ts";
import { getCommand } from "./commands/get.ts";
import { historyCommand, rollbackCommand } from "./commands/history.ts";
import { inspectCommand } from "./commands/inspect.ts";
import { loginCommand } from "./commands/login.ts";
import { rolloutCommand } from "./commands/rollout.ts";
import { tokenCommand } from "./commands/token.ts";
import { resolveServer } from "./connection.ts";
import { describeError, UsageError } from "./errors.ts";

export interface GlobalOptions {
  server?: string;
  mesh?: string;
  namespace?: string;
}

const program = new Command("loomctl")
  .description("Operate a Loom service mesh from the command line")
  .option("-s, --server <url>", "loom-cp API (default: LOOM_SERVER, then the one saved by login)")
  .option("-m, --mesh <mesh>", "mesh of the resources (default: default)")
  .option("-n, --namespace <namespace>", "namespace of the resources (default: default)")
  .showHelpAfterError()
  .exitOverride();
const globals = () => program.opts<GlobalOptions>();

for (const command of [
  loginCommand,
  applyCommand,
  getCommand,
  deleteCommand,
  historyCommand,
  rollbackCommand,
  inspectCommand,
  describeCommand,
  rolloutCommand,
  tokenCommand,
])
  program.addCommand(command(globals));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed its own usage message already.
  if (error instanceof CommanderError) process.exit(error.exitCode);
  console.error(describeError(error, await resolveServer(globals().server).catch(() => "?")));
  process.exit(error instanceof UsageError ? 2 : 1);
}
