import { type Kind, POLICY_KINDS, type PolicyKind } from "@loom/spec";
import { Command } from "commander";
import { connect } from "../connection.ts";
import { parseKind } from "../kinds.ts";
import type { GlobalOptions } from "../main.ts";
import { printResources } from "../output.ts";

function isPolicyKind(kind: Kind): kind is PolicyKind {
  return (POLICY_KINDS as readonly string[]).includes(kind);
}

export function describeCommand(globals: () => GlobalOptions): Command {
  return new Command("describe")
    .description("one resource: the object, how many revisions it has, and (policies) whether it is in force")
    .argument("<kind>")
    .argument("<name>")
    .action(async (kindText: string, name: string) => {
      const kind = parseKind(kindText);
      const { mesh, namespace, server } = globals();
      const { client } = await connect(server);
      const [resource, revisions] = await Promise.all([
        client.resources.get.query({ kind, name, mesh, namespace }),
        client.history.list.query({ kind, name, mesh, namespace }),
      ]);
      console.log(printResources([resource], "yaml", true));
      const latest = revisions.at(-1);
      console.log(
        `\nHistory: ${revisions.length} revision${revisions.length === 1 ? "" : "s"}` +
          (latest
            ? ` (latest: version ${latest.version}, ${latest.action} by ${latest.actor} at ${latest.at})`
            : ""),
      );
      if (!isPolicyKind(kind)) return;
      const targetRef = (
        resource.spec as { targetRef?: { kind: string; name: string; tags?: Record<string, string> } }
      ).targetRef;
      if (targetRef?.kind !== "Service") {
        console.log(`In force: not decided per service (target ${targetRef?.kind ?? "none"})`);
        return;
      }
      const target = `Service/${targetRef.name}${targetRef.tags ? ` ${JSON.stringify(targetRef.tags)}` : ""}`;
      const { inForce, shadowed } = await client.policies.inForce.query({
        kind,
        mesh: resource.metadata.mesh,
        service: targetRef.name,
        tags: targetRef.tags,
      });
      const same = (other: { metadata: { name: string; namespace?: string } }) =>
        other.metadata.name === resource.metadata.name &&
        (other.metadata.namespace ?? resource.metadata.namespace) === resource.metadata.namespace;
      if (inForce && same(inForce)) {
        const others = shadowed.filter((policy) => !same(policy)).map((policy) => policy.metadata.name);
        console.log(
          `In force for ${target}: yes${others.length > 0 ? ` (shadows ${others.join(", ")})` : ""}`,
        );
      } else if (inForce) {
        console.log(`In force for ${target}: no, shadowed by ${kind}/${inForce.metadata.name}`);
      } else {
        console.log(`In force for ${target}: no`);
      }
    });
}
