/**
 * Browser side of e2e/graph-canvas-labels.test.ts (bundled on its own, not part of the happy-dom suite): the same small graph drawn twice by cytoscape's canvas
 * renderer, once as shipped and once with skipEmptyLabels, both counting the label textures the renderer was
 * asked to draw for elements whose label is empty.
 */
import cytoscape from "cytoscape";
import { skipEmptyLabels } from "@/features/graph/skip-empty-labels";

type Portion = (
  this: unknown,
  context: unknown,
  element: cytoscape.SingularElementReturnValue,
  cache: object,
  ...rest: unknown[]
) => void;
interface Renderer {
  data: { eleTxrCache: object };
  drawCachedElementPortion: Portion;
}

const elements: cytoscape.ElementDefinition[] = [
  { data: { id: "web", label: "web\n12 rps" }, position: { x: 60, y: 60 } },
  { data: { id: "cart", label: "cart" }, position: { x: 300, y: 60 } },
  { data: { id: "anonymous", label: "" }, position: { x: 180, y: 220 } },
  { data: { id: "web->cart", source: "web", target: "cart", label: "mTLS · 12 rps · 99.5% · p99 34 ms" } },
  { data: { id: "web->anonymous", source: "web", target: "anonymous", label: "" } },
  { data: { id: "anonymous->cart", source: "anonymous", target: "cart", label: "" } },
];

const style: cytoscape.StylesheetJson = [
  {
    selector: "node",
    style: { label: "data(label)", "text-wrap": "wrap", "text-valign": "bottom", "font-size": 12 },
  },
  {
    selector: "edge",
    style: {
      label: "data(label)",
      "font-size": 10,
      "curve-style": "bezier",
      "target-arrow-shape": "triangle",
    },
  },
];

function draw(id: string, skip: boolean) {
  const container = document.createElement("div");
  container.id = id;
  container.style.cssText = "width:400px;height:300px";
  document.getElementById("root")?.append(container);
  const instance = cytoscape({ container, elements, style, layout: { name: "preset" } });
  const renderer = (instance as unknown as { renderer(): Renderer }).renderer();
  const counted = { emptyLabelPortions: 0 };
  const original = renderer.drawCachedElementPortion;
  // An own property over the prototype's, which skipEmptyLabels (when asked) then wraps in turn.
  renderer.drawCachedElementPortion = function (context, element, cache, ...rest) {
    if (cache !== renderer.data.eleTxrCache && element.data("label") === "") counted.emptyLabelPortions += 1;
    original.call(this, context, element, cache, ...rest);
  };
  if (skip) skipEmptyLabels(instance);
  return {
    counted,
    pixels: () => [...container.querySelectorAll("canvas")].map((canvas) => canvas.toDataURL()),
  };
}

const shipped = draw("shipped", false);
const skipping = draw("skipping", true);
// Long enough for cytoscape's first frames and its high-quality texture pass after them.
setTimeout(() => {
  (window as unknown as { labelsResult: unknown }).labelsResult = {
    shipped: { ...shipped.counted, pixels: shipped.pixels() },
    skipping: { ...skipping.counted, pixels: skipping.pixels() },
    blank: Object.assign(document.createElement("canvas"), { width: 400, height: 300 }).toDataURL(),
  };
}, 1_500);
