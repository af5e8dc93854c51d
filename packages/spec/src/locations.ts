import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

/** Where a resource came from, so errors found later (set validation) still point at its line. */
export interface SourceLocator {
  source?: string;
  lineOf(path: readonly PropertyKey[]): number;
}

const locators = new WeakMap<object, SourceLocator>();

export function rememberSource(resource: object, locator: SourceLocator): void {
  locators.set(resource, locator);
}

/** Undefined for resources that did not come from `parseResources` (or were copied since). */
export function sourceOf(resource: object): SourceLocator | undefined {
  return locators.get(resource);
}

/**
 * The line of the node a zod path names: the key's line for mapping entries, the item's line for list
 * entries; a path that leaves the document (a missing field) stops at the nearest existing ancestor.
 */
export function yamlLineOf(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): number {
  let node: unknown = document.contents;
  let offset = (node as Node | null)?.range?.[0] ?? document.range?.[0] ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return lineCounter.linePos(offset).line;
}
