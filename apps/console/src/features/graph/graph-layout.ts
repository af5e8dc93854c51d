/**
 * A layered picture computed in one pass, for meshes too big for dagre or cytoscape's force-directed layouts (at
 * 500 services and 2,000 calls those take seconds in the browser): callers left of callees at the depth of their
 * longest call chain, as dagre draws small meshes, so both sizes read the same way. Deterministic, so the same
 * mesh is always drawn the same.
 */

export interface Point {
  x: number;
  y: number;
}

/** Between columns (wide, the canvas is) and between services in a column (room for the name below a node). */
export const LAYER_SPACING = { x: 170, y: 70 };

/** Width over height of the console's canvas, roughly. */
const CANVAS_ASPECT = 1.6;

/**
 * Each service's rank: 0 for services nothing calls, else one more than its deepest caller. Calls closing a cycle
 * are left out (Kahn's order: when only cycles remain, the service with the fewest unranked callers goes next).
 */
export function layerRanks(services: readonly string[], calls: readonly Call[]): Map<string, number> {
  const callers = new Map<string, string[]>(services.map((service) => [service, []]));
  const callees = new Map<string, string[]>(services.map((service) => [service, []]));
  for (const { source, target } of calls) {
    if (source === target || !callers.has(source) || !callers.has(target)) continue;
    callers.get(target)?.push(source);
    callees.get(source)?.push(target);
  }
  const waiting = new Map(services.map((service) => [service, callers.get(service)?.length ?? 0]));
  const rank = new Map<string, number>();
  const ready = services.filter((service) => waiting.get(service) === 0);
  const settle = (service: string) => {
    let depth = 0;
    for (const caller of callers.get(service) ?? []) {
      const callerRank = rank.get(caller);
      if (callerRank !== undefined) depth = Math.max(depth, callerRank + 1);
    }
    rank.set(service, depth);
    for (const callee of callees.get(service) ?? []) {
      if (rank.has(callee)) continue;
      const left = (waiting.get(callee) ?? 0) - 1;
      waiting.set(callee, left);
      if (left === 0) ready.push(callee);
    }
  };
  while (rank.size < services.length) {
    const next = ready.pop();
    if (next !== undefined) {
      if (!rank.has(next)) settle(next);
      continue;
    }
    let fewest: string | undefined;
    for (const service of services)
      if (
        !rank.has(service) &&
        (fewest === undefined || (waiting.get(service) ?? 0) < (waiting.get(fewest) ?? 0))
      )
        fewest = service;
    if (fewest !== undefined) settle(fewest);
  }
  return rank;
}

export interface Call {
  source: string;
  target: string;
}

/**
 * Where each service goes: one column per rank, each column ordered by where its callers are (the mean row of
 * the callers, which keeps most calls short and uncrossed), and columns taller than about the mesh's square
 * root wrapped into neighbouring sub-columns, so a wide tier does not become a tower.
 */
export function layeredPositions(services: readonly string[], calls: readonly Call[]): Map<string, Point> {
  const rank = layerRanks(services, calls);
  const callers = new Map<string, string[]>();
  for (const { source, target } of calls) {
    const list = callers.get(target);
    if (list) list.push(source);
    else callers.set(target, [source]);
  }
  const columns: string[][] = [];
  for (const service of services) {
    const column = rank.get(service) ?? 0;
    columns[column] ??= [];
    columns[column].push(service);
  }
  const maxRows = Math.max(6, Math.ceil(Math.sqrt(services.length) * 1.5));
  const row = new Map<string, number>();
  const placed: { x: number; services: { service: string; dx: number; at: number; rows: number }[] }[] = [];
  let width = 0;
  let tallest = 1;
  for (const column of columns) {
    if (!column) continue;
    const meanCallerRow = (service: string) => {
      const rows = (callers.get(service) ?? [])
        .map((caller) => row.get(caller))
        .filter((at) => at !== undefined);
      return rows.length === 0
        ? Number.POSITIVE_INFINITY
        : rows.reduce((sum, at) => sum + at, 0) / rows.length;
    };
    const ordered = column
      .map((service, index) => ({ service, index, weight: meanCallerRow(service) }))
      .sort((a, b) => a.weight - b.weight || a.index - b.index);
    const subColumns = Math.ceil(ordered.length / maxRows);
    const rows = Math.ceil(ordered.length / subColumns);
    tallest = Math.max(tallest, rows);
    placed.push({
      x: width,
      services: ordered.map(({ service }, index) => {
        const at = index % rows;
        row.set(service, at + (maxRows - rows) / 2);
        return { service, dx: Math.floor(index / rows) * LAYER_SPACING.x * 0.6, at, rows };
      }),
    });
    width += LAYER_SPACING.x * (1 + (subColumns - 1) * 0.6);
  }
  // A long call chain makes a strip far wider than the canvas: it is cut into bands stacked top to bottom (as
  // lines of text), as many as bring the picture closest to the canvas's shape.
  const height = tallest * LAYER_SPACING.y;
  const bandHeight = height + 2 * LAYER_SPACING.y;
  const bands = Math.max(1, Math.round(Math.sqrt(width / (CANVAS_ASPECT * bandHeight))));
  const bandWidth = width / bands;
  const positions = new Map<string, Point>();
  let band = 0;
  let bandStart = 0;
  for (const column of placed) {
    if (column.x >= (band + 1) * bandWidth && band < bands - 1) {
      band += 1;
      bandStart = column.x;
    }
    for (const { service, dx, at, rows } of column.services)
      positions.set(service, {
        x: column.x - bandStart + dx,
        // Short columns sit centred beside tall ones.
        y: band * bandHeight + (at + (tallest - rows) / 2) * LAYER_SPACING.y,
      });
  }
  return positions;
}
