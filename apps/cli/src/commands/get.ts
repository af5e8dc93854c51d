import { Command } from "commander";
import { connect } from "../connection.ts";
import { parseKind } from "../kinds.ts";
import type { GlobalOptions } from "../main.ts";
import { parseFormat, printResources } from "../output.ts";

export function getCommand(globals: () => GlobalOptions): Command {
  return new Command("get")
    .description("list the resources of a kind, or show one")
    .argument("<kind>", "e.g. TrafficRoute, services, meshes")
    .argument("[name]")
    .option("-o, --output <format>", "yaml or json (default: a table)")
    .action(async (kindText: string, name: string | undefined, options: { output?: string }) => {
      const kind = parseKind(kindText);
      const format = parseFormat(options.output);
      const { mesh, namespace, server } = globals();
      const { client } = await connect(server);
      const resources =
        name === undefined
          ? await client.resources.list.query({ kind, mesh, namespace })
          : [await client.resources.get.query({ kind, name, mesh, namespace })];
      console.log(printResources(resources, format, name !== undefined));
    });
}
