import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const MAIN = fileURLToPath(new URL("../../packages/proxy/src/main.ts", import.meta.url));

/**
 * loom-proxy as one ESM file, run by plain node: what a production image would ship. The bin runs the
 * sources through tsx, whose loader thread and keep-names wrappers cost memory and CPU a build does not.
 */
export async function bundleProxy(dir: string): Promise<string> {
  const outfile = path.join(dir, "loom-proxy.mjs");
  await build({
    entryPoints: [MAIN],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "error",
    // CommonJS dependencies call require(); an ESM bundle has none of its own.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return outfile;
}
