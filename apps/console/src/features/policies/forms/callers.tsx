import { callerRefSchema } from "@loom/spec";
import type { FieldPath } from "./draft";
import { ListField, TargetRefFields } from "./fields";

const CALLER_KINDS = callerRefSchema.options.map((option) => option.shape.kind.value);

/** `from`: the callers a policy concerns (absent means every caller). */
export function CallersField({ path }: { path: FieldPath }) {
  return (
    <ListField
      path={path}
      label="Only for these callers (none: every caller)"
      itemLabel="Caller"
      newItem={() => ({ targetRef: { kind: "Service", name: "" } })}
      item={(itemPath) => (
        <TargetRefFields path={[...itemPath, "targetRef"]} label="Caller" kinds={CALLER_KINDS} />
      )}
    />
  );
}
