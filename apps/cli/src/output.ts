import { type Resource, stringifyResources } from "@loom/spec";

export type OutputFormat = "table" | "yaml" | "json";

export function parseFormat(text: string | undefined): OutputFormat {
  if (text === undefined) return "table";
  if (text === "yaml" || text === "json") return text;
  throw new Error(`-o must be yaml or json, got "${text}"`);
}

/** Columns padded to their widest cell, as kubectl prints them. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

export function printResources(resources: Resource[], format: OutputFormat, single: boolean): string {
  if (format === "json") return JSON.stringify(single ? resources[0] : resources, null, 2);
  if (format === "yaml") return stringifyResources(resources).trimEnd();
  return table(
    ["KIND", "NAME", "MESH", "NAMESPACE", "VERSION", "CREATED"],
    resources.map((resource) => [
      resource.kind,
      resource.metadata.name,
      resource.metadata.mesh,
      resource.metadata.namespace,
      resource.metadata.resourceVersion ?? "",
      resource.metadata.creationTimestamp ?? "",
    ]),
  );
}
