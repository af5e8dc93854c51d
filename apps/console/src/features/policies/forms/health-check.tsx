import { healthCheckSpecSchema } from "@loom/spec";
import { MetadataFields, NumberField, TargetRefFields, TextField } from "./fields";

const fields = healthCheckSpecSchema.shape;

export function HealthCheckForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Checks endpoints of" />
      <div className="toolbar">
        <TextField path={["spec", "interval"]} label="Interval" schema={fields.interval} />
        <TextField path={["spec", "timeout"]} label="Timeout" schema={fields.timeout} />
        <NumberField
          path={["spec", "unhealthyThreshold"]}
          label="Unhealthy after failures"
          schema={fields.unhealthyThreshold}
        />
        <NumberField
          path={["spec", "healthyThreshold"]}
          label="Healthy after successes"
          schema={fields.healthyThreshold}
        />
        <TextField path={["spec", "path"]} label="HTTP path" placeholder="none: TCP connect" />
      </div>
    </>
  );
}
