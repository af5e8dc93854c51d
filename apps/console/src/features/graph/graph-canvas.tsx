"use client";

import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import { useEffect, useRef } from "react";
import { edgeSummary, formatRps, healthOf } from "./golden-format";
import type { GraphEdge, GraphService } from "./use-service-graph";

export type GraphSelection =
  | { type: "service"; name: string }
  | { type: "edge"; source: string; destination: string };

export function edgeId(edge: { source: string; destination: string }): string {
  return `${edge.source}->${edge.destination}`;
}

const HEALTH_COLOURS = { healthy: "#1f8a4c", degraded: "#b7791f", failing: "#c53030", idle: "#8a94a6" };

/** The page's palette (light or dark, see globals.css), since canvas drawing cannot use CSS variables. */
function palette() {
  const css = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: read("--muted", "#5d6678"),
    surface: read("--surface", "#ffffff"),
    accent: read("--accent", "#2f6fde"),
  };
}

const graphStyle = ({ text, surface, accent } = palette()): cytoscape.StylesheetJson => [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "text-wrap": "wrap",
      "text-valign": "bottom",
      "text-margin-y": 6,
      "font-size": 12,
      color: text,
      width: 34,
      height: 34,
      "background-color": "data(colour)",
      "border-width": 2,
      "border-color": surface,
      // Labels too small to read are not drawn: what keeps a 500-service mesh fast and readable zoomed out.
      "min-zoomed-font-size": 8,
    },
  },
  { selector: "node:selected", style: { "border-color": accent, "border-width": 4 } },
  {
    selector: "edge",
    style: {
      label: "data(label)",
      "font-size": 10,
      color: text,
      "text-background-color": surface,
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
      "curve-style": "bezier",
      "target-arrow-shape": "triangle",
      width: 2,
      "line-color": "data(colour)",
      "target-arrow-color": "data(colour)",
      "min-zoomed-font-size": 8,
    },
  },
  { selector: "edge[mtls != 'full']", style: { "line-style": "dashed" } },
  { selector: "edge:selected", style: { width: 4 } },
  { selector: ".hidden", style: { display: "none" } },
  { selector: ".faded", style: { opacity: 0.15 } },
];

function nodeElement(service: GraphService, labelled: boolean): ElementDefinition {
  const rps = labelled && service.metrics ? `\n${formatRps(service.metrics.rps)} rps` : "";
  return {
    group: "nodes",
    data: {
      id: service.name,
      label: `${service.name}${rps}`,
      colour: HEALTH_COLOURS[healthOf(service.metrics)],
    },
  };
}

/**
 * Beyond this many edges the numbers are left out of the labels (the side panel and the edge table carry
 * them): thousands of canvas labels cost seconds per update and overlap into noise anyway.
 */
const MAX_LABELLED_EDGES = 300;

function edgeElement(edge: GraphEdge, labelled: boolean): ElementDefinition {
  // Canvas text cannot hold an icon; the line style (solid or dashed) carries mTLS, the label says it too.
  const transport = edge.mtls === "full" ? "mTLS · " : edge.mtls === "partial" ? "partly mTLS · " : "";
  return {
    group: "edges",
    data: {
      id: edgeId(edge),
      source: edge.source,
      target: edge.destination,
      label: labelled ? `${transport}${edgeSummary(edge.metrics)}` : "",
      colour: HEALTH_COLOURS[healthOf(edge.metrics)],
      mtls: edge.mtls,
    },
  };
}

/**
 * The cytoscape view. Elements are updated in place, and only nodes that are new get laid out (the others are
 * locked meanwhile), so the picture an operator has read stays where it was across updates.
 */
export function GraphCanvas({
  services,
  edges,
  visibleEdges,
  selection,
  onSelect,
}: {
  services: readonly GraphService[];
  edges: readonly GraphEdge[];
  /** Edge ids the filter keeps; the others (and nodes left without edges, when filtering) are hidden. */
  visibleEdges: ReadonlySet<string> | null;
  selection: GraphSelection | null;
  onSelect: (selection: GraphSelection | null) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    const instance = cytoscape({
      container: container.current,
      style: graphStyle(),
      wheelSensitivity: 0.3,
      maxZoom: 3,
    });
    instance.on("tap", (event) => {
      const target = event.target;
      if (target === instance) select.current(null);
      else if (target.isNode()) select.current({ type: "service", name: target.id() });
      else
        select.current({ type: "edge", source: target.data("source"), destination: target.data("target") });
    });
    cy.current = instance;
    // The canvas shrinks when the side panel opens; keep drawing at the new size, centred.
    const resize = new ResizeObserver(() => {
      instance.resize();
      instance.center();
    });
    if (container.current) resize.observe(container.current);
    return () => {
      resize.disconnect();
      instance.destroy();
      cy.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    const labelled = edges.length <= MAX_LABELLED_EDGES;
    const wanted = [
      ...services.map((service) => nodeElement(service, labelled)),
      ...edges.map((edge) => edgeElement(edge, labelled)),
    ];
    const wantedIds = new Set(wanted.map((element) => element.data.id));
    const added: ElementDefinition[] = [];
    instance.batch(() => {
      // One pass over what is drawn: getElementById per element allocates a collection each time.
      const drawn = new Map<string, cytoscape.SingularElementReturnValue>();
      instance.elements().forEach((element) => {
        if (wantedIds.has(element.id())) drawn.set(element.id(), element);
        else element.remove();
      });
      for (const element of wanted) {
        const existing = drawn.get(element.data.id ?? "");
        if (existing === undefined) added.push(element);
        // Unchanged elements are left alone: every data() call restyles the element.
        else if (
          existing.data("label") !== element.data.label ||
          existing.data("colour") !== element.data.colour
        )
          existing.data(element.data);
      }
    });
    if (added.length === 0) return;
    const firstLayout = instance.elements().empty();
    const settled = instance.nodes().lock();
    const fresh = instance.add(added);
    const layout = instance.layout({
      name: firstLayout ? "breadthfirst" : "cose",
      directed: true,
      spacingFactor: 1.4,
      animate: false,
      fit: firstLayout,
      padding: 40,
    } as cytoscape.LayoutOptions);
    layout.one("layoutstop", () => settled.unlock());
    layout.run();
    if (firstLayout) instance.fit(undefined, 40);
    fresh.nodes().unlock();
  }, [services, edges]);

  // Also after the elements change: new ones arrive visible.
  // biome-ignore lint/correctness/useExhaustiveDependencies: services and edges mark when elements were replaced
  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    instance.batch(() => {
      instance.elements(".hidden").removeClass("hidden");
      if (visibleEdges === null) return;
      const keptNodes = new Set<string>();
      instance.edges().forEach((edge) => {
        if (visibleEdges.has(edge.id())) {
          keptNodes.add(edge.data("source"));
          keptNodes.add(edge.data("target"));
        } else edge.addClass("hidden");
      });
      instance.nodes().forEach((node) => {
        if (!keptNodes.has(node.id())) node.addClass("hidden");
      });
    });
  }, [visibleEdges, services, edges]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: services and edges mark when elements were replaced
  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    instance.elements(":selected").unselect();
    if (selection?.type === "service") instance.getElementById(selection.name).select();
    if (selection?.type === "edge") instance.getElementById(edgeId(selection)).select();
  }, [selection, services, edges]);

  return <div ref={container} className="graph-canvas" role="img" aria-label="Service graph" />;
}
