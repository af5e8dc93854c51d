import { timeoutConfigSchema } from "@loom/spec";
import { MetadataFields, TargetRefFields, TextField } from "./fields";

const fields = timeoutConfigSchema.shape;

export function TimeoutForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Applies to" />
      <div className="toolbar">
        <TextField path={["spec", "request"]} label="Whole request" schema={fields.request} />
        <TextField path={["spec", "connect"]} label="Connect" schema={fields.connect} />
        <TextField path={["spec", "idle"]} label="Idle connection" schema={fields.idle} />
      </div>
    </>
  );
}
