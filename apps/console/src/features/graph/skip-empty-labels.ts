import type { Core } from "cytoscape";

/** An element as the renderer sees it: `pstyle` is the parsed style, also outside cytoscape's typings. */
interface RenderedElement {
  pstyle(property: string): { strValue: string };
}

/** The part of cytoscape's canvas renderer (3.x, not in its typings) that draws an element's cached textures. */
interface CanvasRenderer {
  data?: { lblTxrCache?: object; slbTxrCache?: object; tlbTxrCache?: object };
  drawCachedElementPortion?: (
    this: CanvasRenderer,
    context: CanvasRenderingContext2D,
    element: RenderedElement,
    cache: object,
    ...rest: unknown[]
  ) => void;
}

/**
 * Makes cytoscape's canvas renderer skip the label textures of elements whose label is empty. It asks every
 * element, on every frame, for the boxes of its label, source label and target label, and each of those is a
 * bounding-box lookup keyed by the element's (and for an edge, both ends') positions: on a big mesh, whose 2,000
 * edges have no label, that was a sixth of each redraw after a live update. Drawing an empty label draws
 * nothing, so skipping it changes no pixel. With a renderer that has no such method (another cytoscape
 * version), nothing is changed.
 */
export function skipEmptyLabels(instance: Core): void {
  const renderer = (instance as unknown as { renderer(): CanvasRenderer | undefined }).renderer();
  const drawPortion = renderer?.drawCachedElementPortion;
  const caches = renderer?.data;
  if (!renderer || !drawPortion || !caches?.lblTxrCache || !caches.slbTxrCache || !caches.tlbTxrCache) return;
  const labelProperty = new Map<object, string>([
    [caches.lblTxrCache, "label"],
    [caches.slbTxrCache, "source-label"],
    [caches.tlbTxrCache, "target-label"],
  ]);
  renderer.drawCachedElementPortion = function (context, element, cache, ...rest) {
    const property = labelProperty.get(cache);
    if (property !== undefined && element.pstyle(property).strValue === "") return;
    drawPortion.call(this, context, element, cache, ...rest);
  };
}
