import { readFile } from "node:fs/promises";
import type { Bootstrap } from "@loom/spec";

type ControlPlaneBootstrap = NonNullable<Bootstrap["controlPlane"]>;

/** The dataplane token, inline in the bootstrap or read from its tokenFile. */
export async function readDataplaneToken(controlPlane: ControlPlaneBootstrap): Promise<string> {
  return controlPlane.token ?? (await readFile(controlPlane.tokenFile as string, "utf8")).trim();
}

/**
 * Headers for the OTLP exporter: the dataplane token when loom-cp is the span receiver (see
 * bootstrap.tracing.sendToken), nothing otherwise. The token file is read once, on the first export.
 */
export function otlpAuthHeaders(bootstrap: Bootstrap): (() => Promise<Record<string, string>>) | undefined {
  const { otlpUrl, sendToken } = bootstrap.tracing;
  const controlPlane = bootstrap.controlPlane;
  if (otlpUrl === undefined || controlPlane === undefined) return undefined;
  const sameHost = new URL(otlpUrl).hostname === new URL(controlPlane.url).hostname;
  if (!(sendToken ?? sameHost)) return undefined;
  let token: Promise<string> | undefined;
  return async () => {
    token ??= readDataplaneToken(controlPlane);
    return { authorization: `Bearer ${await token}` };
  };
}
