import { Command } from "commander";
import { connect } from "../connection.ts";
import { parseKind } from "../kinds.ts";
import type { GlobalOptions } from "../main.ts";

export function deleteCommand(globals: () => GlobalOptions): Command {
  return new Command("delete")
    .description("delete a resource (its history stays, so it can be rolled back)")
    .argument("<kind>")
    .argument("<name>")
    .action(async (kindText: string, name: string) => {
      const kind = parseKind(kindText);
      const { mesh, namespace, server } = globals();
      const { client } = await connect(server);
      await client.resources.delete.mutate({ kind, name, mesh, namespace });
      console.log(`${kind}/${name} deleted`);
    });
}
