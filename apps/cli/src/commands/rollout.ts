import { setTimeout as sleep } from "node:timers/promises";
import { Command } from "commander";
import { connect } from "../connection.ts";
import type { GlobalOptions } from "../main.ts";

const BAR_WIDTH = 20;
const RUNNING = ["pending", "progressing", "paused"];

interface RolloutStatus {
  name: string;
  phase: string;
  currentStep: number;
  steps: { canaryWeight: number }[];
  canaryWeight: number;
  message: string;
}

/** `[######--------------] 30%`: the canary's share of traffic. */
export function progressBar(percent: number): string {
  const clamped = Math.max(0, Math.min(100, percent));
  const filled = Math.round((clamped / 100) * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${clamped}%`;
}

export function statusLine(rollout: RolloutStatus): string {
  const step = Math.min(rollout.currentStep + 1, rollout.steps.length);
  return `${rollout.name}  ${rollout.phase}  step ${step}/${rollout.steps.length}  canary ${progressBar(rollout.canaryWeight)}  ${rollout.message}`.trimEnd();
}

export function rolloutCommand(globals: () => GlobalOptions): Command {
  const rollout = new Command("rollout").description("canary Rollouts");
  rollout
    .command("status")
    .description("phase, step and canary weight of a Rollout; --watch follows it until it ends")
    .argument("<name>")
    .option("-w, --watch", "print each change until the Rollout is promoted, rolled back, aborted or failed")
    .option("--interval <ms>", "how often --watch asks (default 1000)", "1000")
    .action(async (name: string, options: { watch?: boolean; interval: string }) => {
      const { mesh, namespace, server } = globals();
      const { client } = await connect(server);
      const key = { name, mesh, namespace };
      let current = (await client.rollouts.get.query(key)) as RolloutStatus;
      let printed = statusLine(current);
      console.log(printed);
      if (!options.watch) return;
      const interval = Math.max(100, Number(options.interval) || 1000);
      while (RUNNING.includes(current.phase)) {
        await sleep(interval);
        current = (await client.rollouts.get.query(key)) as RolloutStatus;
        const line = statusLine(current);
        if (line !== printed) console.log(line);
        printed = line;
      }
      // A Rollout that ended anywhere but promoted is a failure for scripts waiting on it.
      if (current.phase !== "promoted") process.exitCode = 1;
    });
  return rollout;
}
