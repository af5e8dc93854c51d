import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { CONSOLE_DIR } from "./paths.ts";

/**
 * One of the console's components on a page of its own, bundled as the console builds it (its tsconfig, so
 * `@/` imports resolve; production React), for a bench or a browser test that needs no server. Returns the
 * page's file: URL. `css` sizes what the entry renders.
 */
export async function consolePage(entry: string, css: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "iife",
    write: false,
    jsx: "automatic",
    tsconfig: path.join(CONSOLE_DIR, "tsconfig.json"),
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  const dir = await mkdtemp(path.join(tmpdir(), "loom-console-page-"));
  await writeFile(path.join(dir, "page.js"), output.text);
  const html = path.join(dir, "index.html");
  await writeFile(
    html,
    `<!doctype html><meta charset="utf-8"><style>body{margin:0}${css}</style>
<div id="root"></div><script src="page.js"></script>`,
  );
  return pathToFileURL(html).href;
}
