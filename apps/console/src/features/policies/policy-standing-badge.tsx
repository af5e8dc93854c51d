import type { PolicyStanding } from "./use-precedence";

/** In force, shadowed (and by which policy), or selecting nothing that exists. */
export function PolicyStandingBadge({ standing }: { standing: PolicyStanding | undefined }) {
  if (standing === undefined) return null;
  const { inForceFor, shadowedFor } = standing;
  if (inForceFor.length > 0) {
    return (
      <span className="badge ok" title={`in force for ${inForceFor.join(", ")}`}>
        in force{shadowedFor.length > 0 && ` (shadowed for ${shadowedFor.length})`}
      </span>
    );
  }
  if (shadowedFor.length > 0) {
    const winners = [...new Set(shadowedFor.map((entry) => entry.by))].join(", ");
    return (
      <span
        className="badge warn"
        title={shadowedFor.map((entry) => `${entry.target}: ${entry.by}`).join("\n")}
      >
        shadowed by {winners}
      </span>
    );
  }
  return <span className="badge">selects no service</span>;
}
