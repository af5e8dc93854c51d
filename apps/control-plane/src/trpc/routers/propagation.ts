import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { KINDS } from "@loom/spec";
import { z } from "zod";
import { propagationProgress } from "../../resources/propagation-progress.ts";
import { createRouter, viewerProcedure } from "../init.ts";
import { resourceKeyInput } from "../resource-procedures.ts";

/** One write: the resource and the version the write produced (as create/update/apply returned it). */
const writeInput = resourceKeyInput.extend({ kind: z.enum(KINDS), version: z.number().int().positive() });

// ACKs recorded by another replica arrive on no local event; this bounds how late they show.
const RECHECK_MS = 1_000;

export const propagationRouter = createRouter({
  /** How many online proxies of the mesh have ACKed, NACKed (with the reason) or not yet applied the write. */
  status: viewerProcedure.input(writeInput).query(({ ctx, input }) => {
    const { version, ...key } = input;
    return propagationProgress(ctx.store, ctx.trustBundlePem, key, version);
  }),

  /** The same, streamed on every change until no proxy is pending (or the client stops listening). */
  watch: viewerProcedure.input(writeInput).subscription(async function* ({ ctx, input, signal }) {
    const { version, ...key } = input;
    let wake = () => {};
    const unsubscribe = ctx.events.subscribe((event) => {
      if (event.mesh === key.mesh) wake();
    });
    try {
      let previous: unknown;
      while (!signal?.aborted) {
        const changed = new Promise<void>((resolve) => {
          wake = resolve;
        });
        const progress = await propagationProgress(ctx.store, ctx.trustBundlePem, key, version);
        if (!isDeepStrictEqual(progress, previous)) yield progress;
        if (progress.pending === 0) return;
        previous = progress;
        await Promise.race([changed, sleep(RECHECK_MS, undefined, { signal }).catch(() => {})]);
      }
    } finally {
      unsubscribe();
    }
  }),
});
