import { POLICY_KINDS, type Policy, type PolicyKind } from "@loom/spec";

export function PolicyKindTabs({
  current,
  policies,
  onSelect,
}: {
  current: PolicyKind;
  policies: readonly Policy[];
  onSelect: (kind: PolicyKind) => void;
}) {
  return (
    <div className="tabs" role="tablist" aria-label="Policy kinds">
      {POLICY_KINDS.map((kind) => {
        const count = policies.filter((policy) => policy.kind === kind).length;
        return (
          <button
            key={kind}
            type="button"
            role="tab"
            aria-selected={kind === current}
            onClick={() => onSelect(kind)}
          >
            {kind} <span className="badge">{count}</span>
          </button>
        );
      })}
    </div>
  );
}
