import {
  DEFAULT_MESH,
  DEFAULT_NAMESPACE,
  type Kind,
  nameSchema,
  type ResourceInputOf,
  type ResourceOf,
  ResourceValidationError,
  resourceError,
} from "@loom/spec";
import { z } from "zod";
import { toResource } from "../resources/to-resource.ts";
import { NotFoundError } from "../store/index.ts";
import { editorProcedure, viewerProcedure } from "./init.ts";

export const resourceKeyInput = z.object({
  mesh: nameSchema.default(DEFAULT_MESH),
  namespace: nameSchema.default(DEFAULT_NAMESPACE),
  name: nameSchema,
});

/**
 * list/get/create/update/delete for the kinds `kindInput` accepts, shared by the routers of meshes, services,
 * policies and the kind-generic resources router. A single-kind router passes a schema with a default, so its
 * callers need not name the kind.
 */
export function resourceProcedures<KindInput extends z.ZodType<Kind, Kind | undefined>>(
  kindInput: KindInput,
) {
  // The schema's own type (not just its output) is kept, so a defaulted kind stays optional for callers.
  type K = z.output<KindInput>;
  const accepts = (kind: string): kind is K => kindInput.safeParse(kind).success;
  const keyInput = resourceKeyInput.extend({ kind: kindInput });
  const deleteInput = keyInput.extend({ resourceVersion: z.string().optional() });
  // What the key schemas parse to; TypeScript cannot resolve zod's mapped types over a generic kind schema.
  type Key = z.output<typeof resourceKeyInput> & { kind: K };
  // The resource is checked by @loom/spec in the writer, for messages with field paths and lines; here it is
  // only typed, so clients get the model's input type.
  const resourceInput = z.custom<ResourceInputOf<K>>();

  function checkKind(input: unknown): void {
    const kind = (input as { kind?: unknown } | null)?.kind;
    if (typeof kind === "string" && !accepts(kind)) {
      const issue = kindInput.safeParse(kind).error?.issues[0];
      throw new ResourceValidationError([
        resourceError({ kind, path: ["kind"], message: issue?.message ?? "is not accepted here" }),
      ]);
    }
  }

  return {
    list: viewerProcedure
      .input(
        z
          .object({
            kind: kindInput.optional(),
            mesh: nameSchema.optional(),
            namespace: nameSchema.optional(),
          })
          .default({}),
      )
      .query(async ({ ctx, input }) => {
        const stored = await ctx.store.resources.list(input);
        return stored.filter((row) => accepts(row.kind)).map(toResource) as ResourceOf<K>[];
      }),

    get: viewerProcedure.input(keyInput).query(async ({ ctx, input }) => {
      const key = input as Key;
      const stored = await ctx.store.resources.get(key);
      if (stored === null || !accepts(stored.kind))
        throw new NotFoundError(
          `${key.kind} "${key.namespace}/${key.name}" in mesh "${key.mesh}" does not exist`,
        );
      return toResource(stored) as ResourceOf<K>;
    }),

    create: editorProcedure.input(resourceInput).mutation(async ({ ctx, input }) => {
      checkKind(input);
      return (await ctx.resources.create(input, ctx.caller.actor)) as ResourceOf<K>;
    }),

    /** metadata.resourceVersion must be the version the caller read: a stale one gets CONFLICT. */
    update: editorProcedure.input(resourceInput).mutation(async ({ ctx, input }) => {
      checkKind(input);
      return (await ctx.resources.update(input, ctx.caller.actor)) as ResourceOf<K>;
    }),

    /** Returns the resource as it was. Without resourceVersion, deletes the current version. */
    delete: editorProcedure.input(deleteInput).mutation(async ({ ctx, input }) => {
      const { resourceVersion, ...key } = input as Key & { resourceVersion?: string };
      return (await ctx.resources.remove(key, resourceVersion, ctx.caller.actor)) as ResourceOf<K>;
    }),
  };
}
