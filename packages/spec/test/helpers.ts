import { expect } from "vitest";
import { parseResources, type Resource } from "../src/index.ts";

/** Lets YAML sit indented in test code: drops the first blank line and the common indentation. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, "");
  const lines = text.split("\n");
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== "").map((line) => /^ */.exec(line)?.[0].length ?? 0),
  );
  return lines.map((line) => line.slice(indent)).join("\n");
}

export function parseValid(text: string): Resource {
  const { resources, errors } = parseResources(text);
  expect(errors.map((error) => error.formatted)).toEqual([]);
  expect(resources).toHaveLength(1);
  return resources[0] as Resource;
}

export function messagesOf(text: string): string[] {
  return parseResources(text).errors.map((error) => error.formatted);
}
