import { tapFilterSchema } from "@loom/spec";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { DataplanePorts } from "../../dataplane/store-views.ts";
import { tapTokenFor } from "../../dataplane/tap-token.ts";
import { createRouter, editorProcedure } from "../init.ts";

/** The proxy's own /tap filters, checked here too so a bad one is a 400 before any proxy is dialled. */
const tapInput = tapFilterSchema.extend({ dataplaneId: z.number().int().positive() });

export type TapEvent =
  | { event: "request"; data: Record<string, unknown> }
  | { event: "dropped"; data: { dropped: number; droppedTotal: number } };

/** Server-sent events from a byte stream: each `event:`/`data:` block once complete. */
async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) yield { event, data: data.join("\n") };
    }
  }
}

/**
 * Relays one proxy's admin /tap (live request summaries) to editors and admins. The control plane presents the
 * token it derived for that proxy and handed it at registration; viewers cannot tap, as request paths may be
 * sensitive. The relay ends when the client unsubscribes or the proxy closes the stream.
 */
export const tapRouter = createRouter({
  stream: editorProcedure.input(tapInput).subscription(async function* ({ ctx, input, signal }) {
    if (!ctx.tapSecret) {
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: "this control plane derives no tap tokens",
      });
    }
    const { dataplaneId, ...filters } = input;
    const record = await ctx.store.dataplanes.get(dataplaneId);
    if (!record) throw new TRPCError({ code: "NOT_FOUND", message: `no dataplane ${dataplaneId}` });
    if (record.status !== "online") {
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `dataplane ${record.name} is offline` });
    }
    const { adminPort } = record.ports as DataplanePorts;
    const query = new URLSearchParams(
      Object.entries(filters).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const host = record.address.includes(":") ? `[${record.address}]` : record.address;
    const answer = await fetch(`http://${host}:${adminPort}/tap?${query}`, {
      headers: { authorization: `Bearer ${tapTokenFor(ctx.tapSecret, record.id)}` },
      signal,
    }).catch((error: Error) => {
      throw new TRPCError({
        code: "BAD_GATEWAY",
        message: `cannot reach the tap of ${record.name}: ${error.message}`,
      });
    });
    if (answer.status !== 200 || !answer.body) {
      const reason = (await answer.text().catch(() => "")).trim();
      throw new TRPCError({
        code:
          answer.status === 400
            ? "BAD_REQUEST"
            : answer.status === 429
              ? "TOO_MANY_REQUESTS"
              : "PRECONDITION_FAILED",
        message: `the tap of ${record.name} answered ${answer.status}: ${reason}`,
      });
    }
    try {
      for await (const { event, data } of serverSentEvents(answer.body)) {
        if (event === "request" || event === "dropped") yield { event, data: JSON.parse(data) } as TapEvent;
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }),
});
