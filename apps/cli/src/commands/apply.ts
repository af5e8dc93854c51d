import { readFile } from "node:fs/promises";
import { parseResources } from "@loom/spec";
import { Command } from "commander";
import { connect } from "../connection.ts";
import { InvalidResourcesError } from "../errors.ts";
import type { GlobalOptions } from "../main.ts";

/**
 * Validates the file with @loom/spec first (so a mistake costs no round trip and names its line), then sends
 * the text itself: the server checks it again against what it holds and applies all of it or nothing.
 */
export function applyCommand(globals: () => GlobalOptions): Command {
  return new Command("apply")
    .description("create or update the resources of a multi-document YAML file, all or nothing")
    .requiredOption("-f, --filename <file>", "YAML file, or - for standard input")
    .action(async (options: { filename: string }) => {
      const source = options.filename === "-" ? "stdin" : options.filename;
      const text = options.filename === "-" ? await readStdin() : await readFile(options.filename, "utf8");
      const { errors } = parseResources(text, { source });
      if (errors.length > 0) throw new InvalidResourcesError(errors);

      const { client } = await connect(globals().server);
      const { results } = await client.policies.applyYaml.mutate({ text, source });
      for (const result of results) console.log(`${result.kind}/${result.name} ${result.outcome}`);
    });
}

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text;
}
