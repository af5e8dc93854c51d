import type { ResourceError } from "@loom/spec";

export function ValidationMessages({
  errors,
  validCount,
}: {
  errors: readonly ResourceError[];
  validCount: number;
}) {
  if (errors.length === 0) {
    return (
      <ul className="validation valid" aria-label="Validation">
        <li>{validCount === 0 ? "Nothing to apply yet." : `Valid: ${validCount} resource(s).`}</li>
      </ul>
    );
  }
  return (
    <ul className="validation" aria-label="Validation">
      {errors.map((error) => (
        <li key={error.formatted}>{error.formatted}</li>
      ))}
    </ul>
  );
}
