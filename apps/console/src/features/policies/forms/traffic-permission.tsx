import { callerRefSchema, httpMethodSchema, permissionActionSchema } from "@loom/spec";
import {
  ChoicesField,
  ListField,
  ListTextField,
  MetadataFields,
  SelectField,
  TargetRefFields,
} from "./fields";

const CALLER_KINDS = callerRefSchema.options.map((option) => option.shape.kind.value);

export function TrafficPermissionForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Protects" />
      <ListField
        path={["spec", "from"]}
        label="Rules"
        itemLabel="Rule"
        newItem={() => ({ targetRef: { kind: "Service", name: "" }, action: "Allow" })}
        item={(rule) => (
          <>
            <TargetRefFields path={[...rule, "targetRef"]} label="Caller" kinds={CALLER_KINDS} />
            <SelectField path={[...rule, "action"]} label="Action" options={permissionActionSchema.options} />
            <ChoicesField
              path={[...rule, "match", "methods"]}
              label="Only these methods (none: all)"
              options={httpMethodSchema.options}
            />
            <ListTextField
              path={[...rule, "match", "paths"]}
              label="Only these path prefixes (comma-separated)"
            />
          </>
        )}
      />
    </>
  );
}
