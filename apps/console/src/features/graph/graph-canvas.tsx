"use client";

import cytoscape, { type Core, type ElementDefinition, type NodeSingular } from "cytoscape";
import dagre from "cytoscape-dagre";
import { useEffect, useRef } from "react";
import { edgeId, type GraphView, graphElements, HEALTH_COLOURS, MAX_LABELLED_EDGES } from "./graph-elements";
import { LAYER_SPACING, layeredPositions, type Point } from "./graph-layout";
import { skipEmptyLabels } from "./skip-empty-labels";
import type { GraphEdge, GraphService } from "./use-service-graph";

export { edgeId };

cytoscape.use(dagre);

/**
 * Up to this size the first layout is dagre's layered one: callers left of callees (the canvas is wide) at the
 * depth of their longest call chain, so no call runs along a rank through other services (breadthfirst puts
 * every service at its shortest depth). Dagre's crossing reduction grows fast with size (on a random mesh here: 50 ms for 10
 * services, 0.8 s for 50 with 150 calls); larger meshes get the same kind of picture from graph-layout.ts, computed
 * in one pass (cytoscape's breadthfirst took 1.8 s of a 500-service first render, mostly measuring every node).
 */
const LAYERED_LAYOUT_LIMIT = { services: 30, edges: 80 };

export type GraphSelection =
  | { type: "service"; name: string }
  | { type: "edge"; source: string; destination: string };

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

const NODE_SIZE = 34;

/**
 * Fitting a small mesh to the canvas zoomed it to maxZoom: three services and their labels filled the page.
 * Fitting stops at this zoom; zooming in by hand still goes to maxZoom.
 */
const FIT_MAX_ZOOM = 1.25;
const FIT_PADDING = 40;

function fitView(instance: Core): void {
  instance.fit(undefined, FIT_PADDING);
  if (instance.zoom() > FIT_MAX_ZOOM) {
    instance.zoom(FIT_MAX_ZOOM);
    instance.center();
  }
}

/** Edge labels in the canvas: drawn on small meshes; on big ones only "denied" (see MAX_LABELLED_EDGES). */
const edgeLabel = (text: string, surface: string) =>
  ({
    label: "data(label)",
    "font-size": 10,
    color: text,
    "text-background-color": surface,
    "text-background-opacity": 0.85,
    "text-background-padding": "2px",
    "min-zoomed-font-size": 8,
  }) as const;

/**
 * Colours by health come from a selector per health, not from a `data(colour)` mapping: elements matching the
 * same selectors share one computed style, so a live update that recolours hundreds of elements restyles them
 * from a cache instead of evaluating the mapping for each.
 */
const healthStyles = (selector: string, style: (colour: string) => cytoscape.Css.Node | cytoscape.Css.Edge) =>
  Object.entries(HEALTH_COLOURS).map(([health, colour]) => ({
    selector: `${selector}[health = "${health}"]`,
    style: style(colour),
  }));

/**
 * `lean` is the stylesheet of a big mesh: every property an element matches costs time whenever it is styled
 * (at the first render and on each live update whose colour changed), so edges carry no label properties and
 * are straight (bezier edges are bundled and curved pair by pair).
 */
const graphStyle = (lean: boolean, { text, surface, accent } = palette()): cytoscape.StylesheetJson => [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "text-wrap": "wrap",
      "text-valign": "bottom",
      "text-margin-y": 6,
      "font-size": 12,
      color: text,
      width: NODE_SIZE,
      height: NODE_SIZE,
      "border-width": 2,
      "border-color": surface,
      // Labels too small to read are not drawn: what keeps a 500-service mesh fast and readable zoomed out.
      "min-zoomed-font-size": 8,
    },
  },
  ...healthStyles("node", (colour) => ({ "background-color": colour })),
  { selector: 'node[kind = "version"]', style: { width: 24, height: 24, "font-size": 10 } },
  {
    // A service expanded to its versions, and a namespace: boxes around what they hold, named on top.
    selector: ":parent",
    style: {
      shape: "round-rectangle",
      "text-valign": "top",
      "text-margin-y": -4,
      "background-opacity": 0.08,
      "border-width": 2,
      padding: "12px",
    },
  },
  ...healthStyles(":parent", (colour) => ({ "border-color": colour })),
  {
    selector: 'node[kind = "namespace"]',
    style: {
      shape: "round-rectangle",
      "text-valign": "top",
      "font-weight": "bold",
      "background-color": text,
      "background-opacity": 0.05,
      "border-color": text,
      "border-style": "dashed",
      "border-width": 1,
      padding: "24px",
    },
  },
  { selector: "node:selected", style: { "border-color": accent, "border-width": 4 } },
  {
    selector: "edge",
    style: {
      ...(lean ? {} : edgeLabel(text, surface)),
      "curve-style": lean ? "haystack" : "bezier",
      // Haystack edges draw no arrowheads, and every property costs time when an edge is styled.
      ...(lean ? {} : { "target-arrow-shape": "triangle" }),
      width: 2,
    },
  },
  ...healthStyles("edge", (colour) => ({
    "line-color": colour,
    ...(lean ? {} : { "target-arrow-color": colour }),
  })),
  {
    // Zoomed out to a big mesh (about 0.25), the default 6/3 dashes are under 2 pixels: they read as a solid
    // line, and 200 such edges took a third of the frame's raster time in Chromium (6 of 17.6 ms; 18/9: 4).
    selector: "edge[mtls != 'full']",
    style: { "line-style": "dashed", ...(lean ? { "line-dash-pattern": [18, 9] } : {}) },
  },
  {
    // Refused by a TrafficPermission: a bar instead of an arrowhead ("blocked"), dotted, and said in the label.
    selector: 'edge[denied = "yes"]',
    style: {
      ...(lean ? edgeLabel(text, surface) : {}),
      "line-color": HEALTH_COLOURS.failing,
      "target-arrow-color": HEALTH_COLOURS.failing,
      "target-arrow-shape": "tee",
      "line-style": "dotted",
      color: HEALTH_COLOURS.failing,
    },
  },
  { selector: "edge:selected", style: { width: 4 } },
  { selector: ".hidden", style: { display: "none" } },
  { selector: ".faded", style: { opacity: 0.15 } },
];

/** Version sub-nodes start in a row where their service stood, so expanding moves nothing else. */
const VERSION_SPACING = 56;

function placeVersions(instance: Core, added: ElementDefinition[]): void {
  const byService = new Map<string, ElementDefinition[]>();
  for (const element of added)
    if (element.data.kind === "version") {
      const service = String(element.data.service);
      byService.set(service, [...(byService.get(service) ?? []), element]);
    }
  for (const [service, versions] of byService) {
    const node = instance.getElementById(service);
    if (node.empty()) continue;
    const { x, y } = node.position();
    versions.forEach((version, index) => {
      version.position = { x: x + (index - (versions.length - 1) / 2) * VERSION_SPACING, y: y + 10 };
    });
  }
}

function wantedServiceCount(wanted: readonly ElementDefinition[]): number {
  let count = 0;
  for (const element of wanted) if (element.data.kind === "service") count += 1;
  return count;
}

/**
 * Positions for the services about to be added to a big mesh (graph-layout.ts). At the first render all of
 * them; later, a new service goes to its column, below what is drawn there, so no service already shown moves.
 */
function placeServices(
  instance: Core,
  added: ElementDefinition[],
  edges: readonly GraphEdge[],
  firstLayout: boolean,
): void {
  const fresh = added.filter((element) => element.data.kind === "service");
  if (fresh.length === 0) return;
  const services = firstLayout
    ? fresh.map((element) => String(element.data.id))
    : [
        ...instance.nodes('[kind = "service"]').map((node) => node.id()),
        ...fresh.map((element) => String(element.data.id)),
      ];
  const layered = layeredPositions(
    services,
    edges.map((edge) => ({ source: edge.source, target: edge.destination })),
  );
  const lowestInColumn = new Map<number, number>();
  if (!firstLayout)
    instance.nodes('[kind = "service"]').forEach((node) => {
      const { x, y } = node.position();
      const column = Math.round(x / LAYER_SPACING.x);
      lowestInColumn.set(column, Math.max(lowestInColumn.get(column) ?? y, y));
    });
  for (const element of fresh) {
    const at: Point | undefined = layered.get(String(element.data.id));
    if (!at) continue;
    const column = Math.round(at.x / LAYER_SPACING.x);
    const lowest = lowestInColumn.get(column);
    const y = lowest === undefined ? at.y : lowest + LAYER_SPACING.y;
    if (lowest !== undefined) lowestInColumn.set(column, y);
    element.position = { x: at.x, y };
  }
}

/**
 * The view fitted to where placeServices put the services, as fit() would but from those numbers: fit() measures
 * every element's box first (styles and labels of 2,500 elements, a third of a big mesh's first render).
 */
function fitPlaced(instance: Core, added: readonly ElementDefinition[], padding = FIT_PADDING): void {
  const box = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
  for (const { position } of added)
    if (position) {
      box.x1 = Math.min(box.x1, position.x);
      box.y1 = Math.min(box.y1, position.y);
      box.x2 = Math.max(box.x2, position.x);
      box.y2 = Math.max(box.y2, position.y);
    }
  if (box.x1 === Infinity) return;
  // A node's half width around its centre, and its name below it.
  const margin = { x: NODE_SIZE, y: NODE_SIZE + 20 };
  const width = box.x2 - box.x1 + 2 * margin.x;
  const height = box.y2 - box.y1 + 2 * margin.y;
  const zoom = Math.min(
    FIT_MAX_ZOOM,
    Math.max(
      instance.minZoom(),
      Math.min((instance.width() - 2 * padding) / width, (instance.height() - 2 * padding) / height),
    ),
  );
  instance.viewport({
    zoom,
    pan: {
      x: instance.width() / 2 - (zoom * (box.x1 + box.x2)) / 2,
      y: instance.height() / 2 - (zoom * (box.y1 + box.y2 + margin.y - NODE_SIZE)) / 2,
    },
  });
}

/**
 * The cytoscape view. Elements are updated in place, and only services that are new get laid out (the others
 * are locked meanwhile), so the picture an operator has read stays where it was across updates.
 */
export function GraphCanvas({
  services,
  edges,
  visibleEdges,
  selection,
  onSelect,
  view = {},
  onToggleVersions,
}: {
  services: readonly GraphService[];
  edges: readonly GraphEdge[];
  /** Edge ids the filter keeps; the others (and nodes left without edges, when filtering) are hidden. */
  visibleEdges: ReadonlySet<string> | null;
  selection: GraphSelection | null;
  onSelect: (selection: GraphSelection | null) => void;
  view?: GraphView;
  /** A double click on a service with versions expands or collapses it. */
  onToggleVersions?: (service: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const lean = useRef(false);
  const filtered = useRef(false);
  const select = useRef(onSelect);
  select.current = onSelect;
  const toggle = useRef(onToggleVersions);
  toggle.current = onToggleVersions;
  const { namespaces, groupByNamespace, expanded, denied, registeredVersions, edgeLabels } = view;

  useEffect(() => {
    const instance = cytoscape({
      container: container.current,
      style: graphStyle(false),
      wheelSensitivity: 0.3,
      maxZoom: 3,
    });
    skipEmptyLabels(instance);
    const serviceOf = (node: NodeSingular): string | undefined => {
      const kind = node.data("kind");
      if (kind === "version") return node.data("service");
      return kind === "service" ? node.id() : undefined;
    };
    instance.on("tap", (event) => {
      const target = event.target;
      if (target === instance) select.current(null);
      else if (target.isNode()) {
        const service = serviceOf(target);
        select.current(service === undefined ? null : { type: "service", name: service });
      } else
        select.current({ type: "edge", source: target.data("source"), destination: target.data("target") });
    });
    instance.on("dbltap", "node", (event) => {
      const service = serviceOf(event.target);
      if (service !== undefined) toggle.current?.(service);
    });
    cy.current = instance;
    // The canvas shrinks when the side panel opens; keep drawing at the new size, centred, and zoomed out as
    // far as needed that nothing is cut off (a node out of view cannot be clicked).
    const resize = new ResizeObserver(([entry]) => {
      // The first report is the size cytoscape measured when it started (and, with a big mesh drawn meanwhile,
      // measuring every service again for nothing would cost a tenth of its first render).
      const { width, height } = entry?.contentRect ?? { width: -1, height: -1 };
      if (Math.abs(width - instance.width()) < 1 && Math.abs(height - instance.height()) < 1) return;
      instance.resize();
      // Calls run between services, so the services' box holds everything clickable (and is far cheaper).
      const box = instance.nodes().renderedBoundingBox();
      const cutOff = box.x1 < 0 || box.y1 < 0 || box.x2 > instance.width() || box.y2 > instance.height();
      if (cutOff) fitView(instance);
      else instance.center();
    });
    if (container.current) resize.observe(container.current);
    // cytoscape caches where its container is on the page and refreshes that only on scroll or resize; a
    // message appearing or going above the canvas moves it, and clicks would then hit beside what was aimed
    // at. Before cytoscape reads a press (pointerdown comes before its mousedown), it re-reads the position.
    const card = container.current?.parentElement;
    const refreshPosition = () => instance.resize();
    card?.addEventListener("pointerdown", refreshPosition, { capture: true });
    return () => {
      card?.removeEventListener("pointerdown", refreshPosition, { capture: true });
      resize.disconnect();
      instance.destroy();
      cy.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    const wanted = graphElements(services, edges, {
      namespaces,
      groupByNamespace,
      expanded,
      denied,
      registeredVersions,
      edgeLabels,
    });
    const wantedIds = new Set(wanted.map((element) => element.data.id));
    const firstLayout = instance.elements().empty();
    // Styled before anything is added, so the first render styles each element once.
    const leanStyle = edges.length > MAX_LABELLED_EDGES;
    if (leanStyle !== lean.current) {
      lean.current = leanStyle;
      instance.style(graphStyle(leanStyle));
    }
    const layered =
      !groupByNamespace &&
      wantedServiceCount(wanted) <= LAYERED_LAYOUT_LIMIT.services &&
      edges.length <= LAYERED_LAYOUT_LIMIT.edges;
    const computed = !groupByNamespace && !layered;
    const added: ElementDefinition[] = [];
    let regrouped = false;
    instance.batch(() => {
      // One pass over what is drawn: getElementById per element allocates a collection each time.
      const drawn = new Map<string, cytoscape.SingularElementReturnValue>();
      instance.elements().forEach((element) => {
        drawn.set(element.id(), element);
      });
      const moves: [cytoscape.NodeSingular, string | null][] = [];
      for (const element of wanted) {
        const existing = drawn.get(element.data.id ?? "");
        if (existing === undefined) {
          added.push(element);
          continue;
        }
        const { parent, ...data } = element.data;
        if (existing.isNode() && (existing.data("parent") ?? null) !== (parent ?? null)) {
          moves.push([existing, parent ?? null]);
          if (data.kind === "service") regrouped = true;
        }
        // Unchanged elements are left alone: every data() call restyles the element. mTLS is compared on its
        // own: a big mesh's edges have no label that would say it changed.
        if (
          existing.data("label") !== data.label ||
          existing.data("health") !== data.health ||
          existing.data("denied") !== data.denied ||
          existing.data("mtls") !== data.mtls
        )
          existing.data(data);
      }
      if (computed) placeServices(instance, added, edges, firstLayout);
      placeVersions(instance, added);
      // Parents first (added in that order), so a kept service can move into a namespace box just drawn.
      instance.add(added.filter((element) => element.group === "nodes"));
      for (const [node, parent] of moves) node.move({ parent });
      instance.add(added.filter((element) => element.group === "edges"));
      // Last, so no box is removed while it still holds a kept service (that would remove the service too).
      instance.elements().forEach((element) => {
        if (!wantedIds.has(element.id())) element.remove();
      });
    });
    const freshServices = added.filter((element) => element.data.kind === "service");
    const namespaceCount = instance.nodes('[kind = "namespace"]').length;
    if (firstLayout && computed) fitPlaced(instance, added);
    else if (firstLayout) {
      const options = groupByNamespace
        ? { name: "cose", animate: false, fit: false }
        : { name: "dagre", rankDir: "LR", nodeSep: 50, rankSep: 130, animate: false, fit: false };
      instance.layout(options as cytoscape.LayoutOptions).run();
      fitView(instance);
    } else if (regrouped && namespaceCount > 1) {
      // Asked for by the operator: boxes of several namespaces must not overlap, so everything moves once.
      instance.layout({ name: "cose", animate: false, fit: false } as cytoscape.LayoutOptions).run();
      fitView(instance);
    } else if (regrouped) {
      // One box (or none) around nodes that stay where they are: only the view widens to show its name.
      fitView(instance);
    } else if (freshServices.length > 0 && !computed) {
      const freshIds = new Set(freshServices.map((element) => element.data.id));
      const settled = instance.nodes().filter((node) => !freshIds.has(node.id()));
      settled.lock();
      const layout = instance.layout({ name: "cose", animate: false, fit: false } as cytoscape.LayoutOptions);
      layout.one("layoutstop", () => {
        settled.unlock();
      });
      layout.run();
    }
  }, [services, edges, namespaces, groupByNamespace, expanded, denied, registeredVersions, edgeLabels]);

  // Also after the elements change: new ones arrive visible.
  // biome-ignore lint/correctness/useExhaustiveDependencies: services and edges mark when elements were replaced
  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    // Nothing filtered before or now: each live update of a big mesh would scan every element for nothing.
    if (visibleEdges === null && !filtered.current) return;
    filtered.current = visibleEdges !== null;
    instance.batch(() => {
      instance.elements(".hidden").removeClass("hidden");
      if (visibleEdges === null) return;
      const keptServices = new Set<string>();
      instance.edges().forEach((edge) => {
        if (visibleEdges.has(edge.id())) {
          keptServices.add(edge.data("source"));
          keptServices.add(edge.data("target"));
        } else edge.addClass("hidden");
      });
      const keptNamespaces = new Set<string>();
      instance.nodes('[kind = "service"]').forEach((node) => {
        if (!keptServices.has(node.id())) node.addClass("hidden");
        else if (node.data("parent")) keptNamespaces.add(node.data("parent"));
      });
      instance.nodes('[kind = "version"]').forEach((node) => {
        if (!keptServices.has(node.data("service"))) node.addClass("hidden");
      });
      instance.nodes('[kind = "namespace"]').forEach((node) => {
        if (!keptNamespaces.has(node.id())) node.addClass("hidden");
      });
    });
  }, [visibleEdges, services, edges, groupByNamespace, expanded]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: services and edges mark when elements were replaced
  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    instance.elements(":selected").unselect();
    if (selection?.type === "service") instance.getElementById(selection.name).select();
    if (selection?.type === "edge") instance.getElementById(edgeId(selection)).select();
  }, [selection, services, edges, groupByNamespace, expanded]);

  return <div ref={container} className="graph-canvas" role="img" aria-label="Service graph" />;
}
