import { Command } from "commander";
import { connect } from "../connection.ts";
import { positiveInteger } from "../kinds.ts";
import type { GlobalOptions } from "../main.ts";

export function tokenCommand(globals: () => GlobalOptions): Command {
  const token = new Command("token").description("API and dataplane tokens (admins)");
  token
    .command("create-dataplane")
    .description("issue a token a proxy of one service registers with; printed once, never stored in clear")
    .requiredOption("--service <service>")
    .action(async (options: { service: string }) => {
      const { mesh, namespace, server } = globals();
      const { client } = await connect(server);
      const issued = await client.tokens.dataplane.create.mutate({
        service: options.service,
        mesh,
        namespace,
      });
      console.error(
        `Dataplane token ${issued.record.id} for service "${options.service}" (shown only once):`,
      );
      console.log(issued.token);
    });
  token
    .command("revoke-dataplane")
    .description("revoke a dataplane token: its proxies can no longer register nor renew certificates")
    .argument("<id>", "the token's id", positiveInteger)
    .action(async (id: number) => {
      const { client } = await connect(globals().server);
      await client.tokens.dataplane.revoke.mutate({ id });
      console.log(`Dataplane token ${id} revoked`);
    });
  token
    .command("revoke")
    .description("revoke an API token (loomctl's, a script's): it can no longer call the API")
    .argument("<id>", "the token's id", positiveInteger)
    .action(async (id: number) => {
      const { client } = await connect(globals().server);
      const revoked = await client.tokens.api.revoke.mutate({ id });
      console.log(`API token ${id} (${revoked.name}) revoked`);
    });
  return token;
}
