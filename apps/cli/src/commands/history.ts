import { Command } from "commander";
import { connect } from "../connection.ts";
import { parseKind, positiveInteger } from "../kinds.ts";
import type { GlobalOptions } from "../main.ts";
import { table } from "../output.ts";

export function historyCommand(globals: () => GlobalOptions): Command {
  return new Command("history")
    .description("the revisions of a resource, oldest first")
    .argument("<kind>")
    .argument("<name>")
    .option("--diff", "show what each revision changed")
    .action(async (kindText: string, name: string, options: { diff?: boolean }) => {
      const kind = parseKind(kindText);
      const { mesh, namespace, server } = globals();
      const { client } = await connect(server);
      const revisions = await client.history.list.query({ kind, name, mesh, namespace });
      if (options.diff) {
        for (const revision of revisions)
          console.log(
            `# version ${revision.version} (${revision.action} by ${revision.actor} at ${revision.at})\n${revision.diff}`,
          );
        return;
      }
      const rows = revisions.map((revision) => [
        String(revision.version),
        revision.action,
        revision.actor,
        revision.at,
      ]);
      console.log(table(["VERSION", "ACTION", "ACTOR", "AT"], rows));
    });
}

export function rollbackCommand(globals: () => GlobalOptions): Command {
  return new Command("rollback")
    .description("restore a resource as it was after an earlier revision (as a new revision)")
    .argument("<kind>")
    .argument("<name>")
    .requiredOption("--to <version>", "the revision to go back to", positiveInteger)
    .action(async (kindText: string, name: string, options: { to: number }) => {
      const kind = parseKind(kindText);
      const { mesh, namespace, server } = globals();
      const { client } = await connect(server);
      const restored = await client.history.rollback.mutate({
        kind,
        name,
        mesh,
        namespace,
        toVersion: options.to,
      });
      console.log(
        `${kind}/${name} rolled back to version ${options.to} (now version ${restored.metadata.resourceVersion})`,
      );
    });
}
