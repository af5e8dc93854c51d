import { readFile } from "node:fs/promises";

/** The parts of a V8 .cpuprofile (node --cpu-prof) this reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface Cost {
  name: string;
  /** Share of the busy (non-idle) samples, in percent. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  /** Time spent in the function itself. */
  self: Cost[];
  /** Time spent in the function and everything it called, for the proxy's own functions. */
  inclusive: Cost[];
  /** Self time grouped by where the code lives: a node core module, a package, a Loom source file. */
  byModule: Cost[];
}

/**
 * Reads a profile and ranks where the CPU went, counting from the first sample whose stack runs code
 * from a file whose path contains `from` (so start-up and module loading stay out of the figures).
 */
export async function summarizeProfile(file: string, from: string, limit: number): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byModule = new Map<string, number>();
  const stackOf = function* (id: number) {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame) yield frame;
    }
  };
  let started = false;
  let busyUs = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const deltaUs = profile.timeDeltas[index] ?? 0;
    started ||= [...stackOf(id)].some((frame) => frame.url.includes(from));
    if (!started || !node || node.callFrame.functionName === "(idle)") return;
    busyUs += deltaUs;
    add(self, frameName(node.callFrame), deltaUs);
    add(byModule, moduleOf(node.callFrame), deltaUs);
    const seen = new Set<string>();
    for (const frame of stackOf(id)) {
      if (!frame.url.includes("/packages/proxy/src/")) continue;
      const name = frameName(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      add(inclusive, name, deltaUs);
    }
  });
  const rank = (costs: Map<string, number>): Cost[] =>
    [...costs]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, percent: (100 * us) / busyUs }));
  return { busyMs: busyUs / 1000, self: rank(self), inclusive: rank(inclusive), byModule: rank(byModule) };
}

function add(costs: Map<string, number>, key: string, us: number): void {
  costs.set(key, (costs.get(key) ?? 0) + us);
}

function frameName(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  return frame.url ? `${name} ${shortLocation(frame.url)}:${frame.lineNumber + 1}` : name;
}

function shortLocation(url: string): string {
  const loom = url.indexOf("/packages/proxy/src/");
  if (loom !== -1) return url.slice(loom + "/packages/proxy/src/".length);
  const nodeModules = url.lastIndexOf("/node_modules/");
  if (nodeModules !== -1) return url.slice(nodeModules + "/node_modules/".length);
  return url.replace(/^node:internal\//, "node:");
}

function moduleOf(frame: CallFrame): string {
  const { url } = frame;
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  if (url.includes("/packages/proxy/src/")) return `loom ${shortLocation(url)}`;
  const nodeModules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModules) return nodeModules[1] as string;
  return shortLocation(url);
}
