import { Command } from "commander";
import { connect } from "../connection.ts";
import { UsageError } from "../errors.ts";
import type { GlobalOptions } from "../main.ts";
import { parseFormat, table } from "../output.ts";

export function inspectCommand(globals: () => GlobalOptions): Command {
  return new Command("inspect")
    .description("the running proxies: status, applied config version, last seen, last NACK")
    .argument("<what>", "dataplanes")
    .option("-o, --output <format>", "json (default: a table)")
    .action(async (what: string, options: { output?: string }) => {
      if (!/^dataplanes?$/.test(what)) throw new UsageError(`can inspect "dataplanes", not "${what}"`);
      const { mesh, server } = globals();
      const { client } = await connect(server);
      const dataplanes = await client.dataplanes.list.query({ mesh });
      if (parseFormat(options.output) !== "table") return console.log(JSON.stringify(dataplanes, null, 2));
      const rows = dataplanes.map((dataplane) => [
        dataplane.name,
        dataplane.mesh,
        dataplane.service,
        Object.entries(dataplane.tags)
          .map(([tag, value]) => `${tag}=${value}`)
          .join(","),
        dataplane.status,
        dataplane.address,
        dataplane.ackedVersion ?? "-",
        dataplane.lastSeenAt,
        dataplane.lastNack ?? "",
      ]);
      console.log(
        table(
          ["NAME", "MESH", "SERVICE", "TAGS", "STATUS", "ADDRESS", "CONFIG", "LAST SEEN", "LAST NACK"],
          rows,
        ),
      );
    });
}
