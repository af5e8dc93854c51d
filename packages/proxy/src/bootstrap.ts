import { readFile } from "node:fs/promises";
import { type Bootstrap, bootstrapSchema } from "@loom/spec";
import { parse } from "yaml";

/** Reads a bootstrap file (YAML, of which JSON is a subset) and validates it, naming the field at fault. */
export async function loadBootstrap(file: string): Promise<Bootstrap> {
  const text = await readFile(file, "utf8");
  const result = bootstrapSchema.safeParse(parse(text));
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new Error(`invalid bootstrap ${file}:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}
