import { rolloutSpecSchema, rolloutStepSchema, serviceTargetRefSchema } from "@loom/spec";
import type { ZodObject } from "zod";
import {
  CheckboxField,
  ListField,
  MetadataFields,
  NumberField,
  TagsField,
  TargetRefFields,
  TextField,
} from "./fields";

const SERVICE_KIND = serviceTargetRefSchema.options.map((option) => option.shape.kind.value);
const fields = rolloutSpecSchema.shape;
const gates = (fields.gates.unwrap() as ZodObject).shape;

export function RolloutForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Service" kinds={SERVICE_KIND} />
      <div className="toolbar">
        <TagsField path={["spec", "stable", "tags"]} label="Stable tags" />
        <TagsField path={["spec", "canary", "tags"]} label="Canary tags" />
      </div>
      <ListField
        path={["spec", "steps"]}
        label="Steps"
        itemLabel="Step"
        newItem={() => ({ canaryWeight: 10 })}
        item={(step) => (
          <div className="toolbar">
            <NumberField path={[...step, "canaryWeight"]} label="Canary weight (%)" />
            <TextField path={[...step, "hold"]} label="Hold" schema={rolloutStepSchema.shape.hold} />
          </div>
        )}
      />
      <div className="toolbar">
        <NumberField
          path={["spec", "gates", "maxSuccessRateDrop"]}
          label="Max success-rate drop (points)"
          schema={gates.maxSuccessRateDrop}
        />
        <NumberField
          path={["spec", "gates", "maxP99Ratio"]}
          label="Max p99 ratio"
          schema={gates.maxP99Ratio}
        />
        <NumberField
          path={["spec", "gates", "minRequests"]}
          label="Min requests"
          schema={gates.minRequests}
        />
      </div>
      <CheckboxField
        path={["spec", "autoPromote"]}
        label="Promote automatically"
        schema={fields.autoPromote}
      />
      <CheckboxField
        path={["spec", "autoRollback"]}
        label="Roll back automatically"
        schema={fields.autoRollback}
      />
    </>
  );
}
