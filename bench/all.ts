// npm run bench [-- --only proxy,otlp] [-- --args otlp="--spans 20000"] [-- --out FILE]
// Runs every `bench:*` script of the root package.json in turn (one at a time: they pin cores and measure
// against peers on the same machine), then writes BENCHMARKS.md at the repo root: when and on what machine,
// then each bench's printed output and its BENCH figures, peer ratios marked. A bench that fails is reported
// with its exit code and the run goes on; the exit code says whether all of them passed. With --only, the
// other benches' last runs are kept from the file (it carries them as JSON in a comment at its end).

import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "..");
const BENCH_LINE = /^BENCH\s+(\S+)\s+(\S+)\s*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are what is being removed.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

interface BenchFigure {
  name: string;
  value: string;
  /** For a `<figure>_vs_<peer>` figure, the peer it is a ratio against. */
  peer: string | undefined;
}

interface BenchRun {
  script: string;
  command: string;
  startedAt: string;
  /** The CPU reference loop's time just before this bench: a slower machine, or a busier host, shows here. */
  cpuReferenceMs: number;
  exitCode: number;
  seconds: number;
  output: string[];
  figures: BenchFigure[];
}

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    args: { type: "string", multiple: true, default: [] },
    out: { type: "string", default: path.join(ROOT, "BENCHMARKS.md") },
  },
});

const scripts: Record<string, string> = JSON.parse(
  readFileSync(path.join(ROOT, "package.json"), "utf8"),
).scripts;
const all = Object.keys(scripts)
  .filter((name) => name.startsWith("bench:"))
  .map((name) => name.slice("bench:".length));
const only = values.only?.split(",").map((name) => name.trim());
const unknown = only?.filter((name) => !all.includes(name)) ?? [];
if (unknown.length > 0) {
  console.error(`no bench:${unknown.join(", bench:")} script in package.json; there are: ${all.join(", ")}`);
  process.exit(2);
}
const extraArgs = new Map<string, string[]>();
for (const entry of values.args) {
  const match = /^([^=]+)=(.*)$/.exec(entry);
  if (!match || !all.includes(match[1] as string)) {
    console.error(`--args takes NAME="ARGS" for one of ${all.join(", ")}; got ${JSON.stringify(entry)}`);
    process.exit(2);
  }
  extraArgs.set(match[1] as string, (match[2] as string).split(/\s+/).filter(Boolean));
}

/**
 * A fixed single-threaded JS workload, in ms (best of five). Benches on a shared host swing with its load; two
 * runs of a bench compare only as far as their references agree.
 */
function cpuReferenceMs(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round += 1) {
    const started = performance.now();
    let sum = 0;
    for (let index = 0; index < 100_000_000; index += 1) sum = (sum + (index % 7)) | 0;
    if (sum === -1) console.log(sum); // keeps the loop from being optimised away
    best = Math.min(best, performance.now() - started);
  }
  return Math.round(best);
}

/** Runs `npm run bench:NAME`, echoing its output as it comes and keeping it. */
function run(name: string): Promise<BenchRun> {
  const args = extraArgs.get(name) ?? [];
  const npmArgs = ["run", "--silent", `bench:${name}`, ...(args.length > 0 ? ["--", ...args] : [])];
  const reference = cpuReferenceMs();
  const startedAtIso = new Date().toISOString();
  const startedAt = performance.now();
  console.log(`\n━━ npm ${npmArgs.join(" ")}`);
  return new Promise((resolve) => {
    const child = spawn("npm", npmArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
      to.write(chunk);
      text += chunk.toString();
    };
    child.stdout.on("data", (chunk: Buffer) => keep(chunk, process.stdout));
    child.stderr.on("data", (chunk: Buffer) => keep(chunk, process.stderr));
    child.on("close", (code, signal) => {
      const lines = text.replace(ANSI, "").split("\n");
      const figures: BenchFigure[] = [];
      const output: string[] = [];
      for (const line of lines) {
        const match = BENCH_LINE.exec(line.trim());
        if (!match) {
          // npm's own complaints about the user's config are no part of the bench.
          if (!line.startsWith("npm warn Unknown user config")) output.push(line);
          continue;
        }
        const figure = match[1] as string;
        figures.push({ name: figure, value: match[2] as string, peer: /_vs_([a-z0-9]+)/i.exec(figure)?.[1] });
      }
      while (output.at(-1) === "") output.pop();
      resolve({
        script: `bench:${name}`,
        command: `npm run bench:${name}${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`,
        startedAt: startedAtIso,
        cpuReferenceMs: reference,
        exitCode: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1),
        seconds: (performance.now() - startedAt) / 1000,
        output,
        figures,
      });
    });
  });
}

function machine(): string {
  const cpus = os.cpus();
  const ramGiB = os.totalmem() / 1024 ** 3;
  return `${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${ramGiB.toFixed(1)} GiB RAM; Node ${process.version}; ${os.type()} ${os.release()} (${os.arch()})`;
}

function figureRows(run: BenchRun): string[] {
  return run.figures.map(
    (figure) =>
      `| \`${figure.name}\` | ${figure.value} | ${figure.peer ? `ratio against ${figure.peer}` : ""} |`,
  );
}

const RUNS_COMMENT = /<!-- loom-bench-runs (.*) -->\n?$/;

/** The runs a previous `npm run bench` left in the file, to keep those --only does not repeat. */
function previousRuns(file: string): BenchRun[] {
  if (!existsSync(file)) return [];
  const match = RUNS_COMMENT.exec(readFileSync(file, "utf8"));
  return match ? (JSON.parse(match[1] as string) as BenchRun[]) : [];
}

function render(runs: BenchRun[]): string {
  const lines = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (bench/all.ts); each bench says when it ran.",
    "",
    `Machine: ${machine()}.`,
    "",
    "Each bench measures against its peers in the same run; a figure named `…_vs_<peer>` is that ratio. The CPU",
    "reference is a fixed JS loop timed just before each bench: on a shared host the absolute figures move with",
    "it, the peer ratios much less.",
    "",
    "| bench | started | exit | time | CPU reference | BENCH figures |",
    "| --- | --- | --- | --- | --- | --- |",
    ...runs.map(
      (run) =>
        `| ${run.script} | ${run.startedAt} | ${run.exitCode === 0 ? "ok" : `failed (${run.exitCode})`} | ${run.seconds.toFixed(0)} s | ${run.cpuReferenceMs} ms | ${run.figures.length} |`,
    ),
  ];
  for (const run of runs) {
    lines.push(
      "",
      `## ${run.script}`,
      "",
      `\`${run.command}\` — started ${run.startedAt}, ${run.seconds.toFixed(0)} s, exit ${run.exitCode}, CPU reference ${run.cpuReferenceMs} ms`,
    );
    lines.push("", "| figure | value | peer |", "| --- | --- | --- |", ...figureRows(run));
    if (run.figures.length === 0) lines.push("| (no BENCH lines) | | |");
    lines.push("", "```text", ...run.output, "```");
  }
  // An HTML comment cannot hold "--"; the JSON escape reads back the same.
  lines.push("", `<!-- loom-bench-runs ${JSON.stringify(runs).replaceAll("--", "-\\u002d")} -->`);
  return `${lines.join("\n")}\n`;
}

const names = only ?? all;
const benchName = (run: BenchRun) => run.script.slice("bench:".length);
const kept = only ? previousRuns(values.out).filter((run) => !only.includes(benchName(run))) : [];
const runs: BenchRun[] = [];
const inOrder = () =>
  [...kept, ...runs].sort((a, b) => all.indexOf(benchName(a)) - all.indexOf(benchName(b)));
// Rewritten after each bench, so an interrupted run still leaves what it measured.
for (const name of names) {
  runs.push(await run(name));
  writeFileSync(values.out, render(inOrder()));
}
const failed = runs.filter((run) => run.exitCode !== 0);
console.log(
  `\nwrote ${path.relative(process.cwd(), values.out)}: ${runs.length} benches, ${failed.length} failed${failed.length > 0 ? ` (${failed.map((run) => run.script).join(", ")})` : ""}`,
);
process.exit(failed.length > 0 ? 1 : 0);
