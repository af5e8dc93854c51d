import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { OtlpRequest } from "./otlp-arbitrary.ts";

/** Inputs that once crashed or got a 5xx: `<name>.body` holds the bytes, `<name>.json` how they were sent. */
export const CORPUS_DIR = path.resolve(import.meta.dirname, "../corpus");

export interface CorpusEntry {
  name: string;
  request: OtlpRequest;
}

export function readCorpus(prefix: string): CorpusEntry[] {
  return readdirSync(CORPUS_DIR)
    .filter((file) => file.startsWith(prefix) && file.endsWith(".json"))
    .sort()
    .map((file) => {
      const name = file.slice(0, -".json".length);
      const meta = JSON.parse(readFileSync(path.join(CORPUS_DIR, file), "utf8")) as Omit<OtlpRequest, "body">;
      return { name, request: { ...meta, body: readFileSync(path.join(CORPUS_DIR, `${name}.body`)) } };
    });
}
