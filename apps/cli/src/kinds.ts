import { KINDS, type Kind } from "@loom/spec";
import { UsageError } from "./errors.ts";

/** Accepts what people type: `TrafficRoute`, `trafficroute`, `trafficroutes`, `meshes`. */
export function parseKind(text: string): Kind {
  const wanted = text.toLowerCase();
  const kind = KINDS.find((candidate) => {
    const name = candidate.toLowerCase();
    return wanted === name || wanted === `${name}s` || wanted === `${name}es`;
  });
  if (kind === undefined) throw new UsageError(`unknown kind "${text}"; known kinds: ${KINDS.join(", ")}`);
  return kind;
}

/** A commander argument parser for revision numbers and ids. */
export function positiveInteger(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`expected a positive whole number, got "${text}"`);
  return Number(text);
}
