import type { RouteFilter } from "@loom/spec";

type HeaderModifierSpec = Extract<RouteFilter, { type: "RequestHeaderModifier" }>["requestHeaderModifier"];

/** Gateway API header modifier over a flat [name, value, ...] list, as in Node's rawHeaders. */
export class HeaderModifier {
  private readonly dropped: ReadonlySet<string>;

  constructor(private readonly spec: HeaderModifierSpec) {
    this.dropped = new Set(
      [...spec.remove, ...spec.set.map((header) => header.name)].map((n) => n.toLowerCase()),
    );
  }

  /** Returns a new list: removed and set names dropped, then set and add entries appended. */
  apply(raw: readonly string[]): string[] {
    const result: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      if (!this.dropped.has(name.toLowerCase())) result.push(name, raw[i + 1] as string);
    }
    for (const header of this.spec.set) result.push(header.name, header.value);
    for (const header of this.spec.add) result.push(header.name, header.value);
    return result;
  }
}
