import { CallersField } from "./callers";
import { MetadataFields, NumberField, OptionalSection, TargetRefFields, TextField } from "./fields";

export function FaultInjectionForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Faults in calls to" />
      <OptionalSection path={["spec", "delay"]} label="Delay">
        <div className="toolbar">
          <NumberField path={["spec", "delay", "percentage"]} label="Delayed requests (%)" />
          <TextField path={["spec", "delay", "value"]} label="Delay by" placeholder="500ms" />
        </div>
      </OptionalSection>
      <OptionalSection path={["spec", "abort"]} label="Abort">
        <div className="toolbar">
          <NumberField path={["spec", "abort", "percentage"]} label="Aborted requests (%)" />
          <NumberField path={["spec", "abort", "httpStatus"]} label="With status" />
        </div>
      </OptionalSection>
      <CallersField path={["spec", "from"]} />
    </>
  );
}
