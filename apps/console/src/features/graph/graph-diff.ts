import type { ElementDefinition } from "cytoscape";

/** An element on the canvas and the data it was last given. */
export interface DrawnElement<Element = unknown> {
  element: Element;
  data: ElementDefinition["data"];
}

/** The fields of an element's data that a live update may change (id, ends, kind and service never do). */
const UPDATABLE_FIELDS = ["label", "colour", "denied", "mtls"] as const;

export interface ElementsDiff<Element> {
  /** New elements, in the wanted order (parents before their children). */
  added: ElementDefinition[];
  /** Kept nodes whose parent changed (null: none any more). */
  moves: [Element, string | null][];
  /** Kept elements with only the fields that changed: each data() call restyles an element. */
  changes: [Element, Record<string, unknown>][];
  /** Ids drawn but no longer wanted. */
  removed: string[];
  /** A service moved into or out of a namespace box. */
  regrouped: boolean;
}

/**
 * What turns the drawn elements into the wanted ones, compared with the data each drawn element was last given
 * (not read back from cytoscape: a live update of a big mesh changes a field or two of most elements, and each
 * cytoscape read costs far more than comparing strings). Records the wanted data of kept elements in `drawn`.
 */
export function diffElements<Element>(
  drawn: Map<string, DrawnElement<Element>>,
  wanted: readonly ElementDefinition[],
): ElementsDiff<Element> {
  const diff: ElementsDiff<Element> = { added: [], moves: [], changes: [], removed: [], regrouped: false };
  const wantedIds = new Set<string>();
  for (const element of wanted) {
    const id = String(element.data.id);
    wantedIds.add(id);
    const before = drawn.get(id);
    if (before === undefined) {
      diff.added.push(element);
      continue;
    }
    const parent = element.data.parent ?? null;
    if (element.group === "nodes" && (before.data.parent ?? null) !== parent) {
      diff.moves.push([before.element, parent]);
      if (element.data.kind === "service") diff.regrouped = true;
    }
    let changed: Record<string, unknown> | undefined;
    for (const field of UPDATABLE_FIELDS)
      if (before.data[field] !== element.data[field]) {
        changed ??= {};
        changed[field] = element.data[field];
      }
    if (changed) diff.changes.push([before.element, changed]);
    before.data = element.data;
  }
  for (const id of drawn.keys()) if (!wantedIds.has(id)) diff.removed.push(id);
  return diff;
}
