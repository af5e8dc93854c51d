/**
 * Browser side of `npm run bench:console`: the console's own GraphCanvas with a synthetic mesh of 500 services
 * and 2,000 edges. Measures the first render, then UPDATES live updates half a second apart (every edge's numbers
 * change, as after a scrape; the mesh alternates between two measurements), each until two frames after React
 * committed, so cytoscape's redraw is included. The user-timing marks (bench:*) bound the same spans in a
 * Chromium trace, where bench/console.ts reads their CPU time.
 */
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { GraphCanvas } from "@/features/graph/graph-canvas";
import type { GraphEdge, GraphService } from "@/features/graph/use-service-graph";

const SERVICES = 500;
const EDGES = 2_000;
/** Several per page: one update's wall time swings with whatever else the machine runs in that tenth of a second. */
const UPDATES = 5;

declare global {
  interface Window {
    benchResult?: { firstRenderMs: number; updatesMs: number[]; nodes: number; edges: number };
  }
}

/** A fixed pseudo-random sequence, so every run draws the same mesh. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function syntheticMesh(round: number): { services: GraphService[]; edges: GraphEdge[] } {
  const next = random(42 + round);
  const metrics = () => ({
    rps: next() * 200,
    requests: 0,
    successRate: 0.9 + next() * 0.1,
    latencyMs: { p50: next() * 20, p95: next() * 100, p99: next() * 300 },
  });
  const names = Array.from({ length: SERVICES }, (_, index) => `svc-${index}`);
  const services = names.map((name) => ({ name, metrics: metrics(), versions: [] }));
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const pick = random(7);
  while (edges.length < EDGES) {
    // Callers call services further down the list, as tiers do: a DAG like real meshes.
    const source = Math.floor(pick() * (SERVICES - 1));
    const destination = source + 1 + Math.floor(pick() * Math.min(40, SERVICES - source - 1));
    const key = `${source}->${destination}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({
      source: names[source] ?? "",
      destination: names[destination] ?? "",
      metrics: metrics(),
      mtls: pick() > 0.1 ? "full" : "none",
    });
  }
  return { services, edges };
}

function afterNextFrames(): Promise<number> {
  return new Promise((resolve) =>
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))),
  );
}

const meshes = [syntheticMesh(0), syntheticMesh(1)] as const;
const timing = { started: 0, firstRenderMs: 0, updatesMs: [] as number[] };

function Bench() {
  const [round, setRound] = useState(0);
  const { services, edges } = meshes[round % 2 === 0 ? 0 : 1];

  useEffect(() => {
    void afterNextFrames().then((rendered) => {
      if (round === 0) {
        timing.firstRenderMs = rendered - timing.started;
        performance.mark("bench:first-render-end");
      } else {
        timing.updatesMs.push(rendered - timing.started);
        performance.mark(`bench:update-${round}-end`);
      }
      if (round === UPDATES) {
        window.benchResult = {
          firstRenderMs: timing.firstRenderMs,
          updatesMs: timing.updatesMs,
          nodes: services.length,
          edges: edges.length,
        };
        return;
      }
      // Let the picture settle, as an operator's page would before the next scrape.
      setTimeout(() => {
        timing.started = performance.now();
        performance.mark(`bench:update-${round + 1}-start`);
        setRound(round + 1);
      }, 500);
    });
  }, [round, services.length, edges.length]);

  return (
    <GraphCanvas services={services} edges={edges} visibleEdges={null} selection={null} onSelect={() => {}} />
  );
}

const container = document.getElementById("root");
if (container) {
  timing.started = performance.now();
  performance.mark("bench:first-render-start");
  createRoot(container).render(<Bench />);
}
