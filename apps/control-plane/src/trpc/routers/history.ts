import { KINDS } from "@loom/spec";
import { createPatch } from "diff";
import { stringify } from "yaml";
import { z } from "zod";
import { toResource } from "../../resources/to-resource.ts";
import type { StoredResource } from "../../store/index.ts";
import { createRouter, editorProcedure, viewerProcedure } from "../init.ts";
import { resourceKeyInput } from "../resource-procedures.ts";

const keyInput = resourceKeyInput.extend({ kind: z.enum(KINDS) });

/** The resource as YAML without the fields every write changes, so a diff shows only what someone changed. */
function diffableYaml(snapshot: StoredResource | null): string {
  if (snapshot === null) return "";
  const {
    resourceVersion: _version,
    creationTimestamp: _created,
    ...metadata
  } = toResource(snapshot).metadata;
  return stringify({ kind: snapshot.kind, metadata, spec: snapshot.spec }, { lineWidth: 0 });
}

export const historyRouter = createRouter({
  /** Every revision, oldest first, including those before a delete, each with a unified diff of its change. */
  list: viewerProcedure.input(keyInput).query(async ({ ctx, input }) => {
    const revisions = await ctx.store.resources.history(input);
    return revisions.map((revision) => ({
      version: revision.version,
      action: revision.action,
      actor: revision.actor,
      at: revision.at.toISOString(),
      before: revision.before && toResource(revision.before),
      after: revision.after && toResource(revision.after),
      diff: createPatch(
        `${input.kind}/${input.name}`,
        diffableYaml(revision.before),
        diffableYaml(revision.after),
        revision.before ? `version ${revision.before.metadata.resourceVersion}` : "absent",
        revision.after ? `version ${revision.version}` : "deleted",
      ),
    }));
  }),

  /**
   * Restores the resource as it was after revision `toVersion`, as a new version (re-created if it was
   * deleted since). With `expectedVersion`, refuses (CONFLICT) if someone changed it after the caller looked.
   */
  rollback: editorProcedure
    .input(
      keyInput.extend({
        toVersion: z.number().int().positive(),
        expectedVersion: z.number().int().positive().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { toVersion, expectedVersion, ...key } = input;
      return ctx.resources.rollback(key, { toVersion, expectedVersion }, ctx.caller.actor);
    }),
});
