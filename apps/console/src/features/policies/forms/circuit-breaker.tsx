import { circuitBreakerSpecSchema, outlierDetectionSchema } from "@loom/spec";
import { MetadataFields, NumberField, OptionalSection, TargetRefFields, TextField } from "./fields";

const fields = circuitBreakerSpecSchema.shape;
const outlier = outlierDetectionSchema.shape;

export function CircuitBreakerForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Calls to" />
      <div className="toolbar">
        <NumberField
          path={["spec", "maxConnections"]}
          label="Max connections"
          schema={fields.maxConnections}
        />
        <NumberField
          path={["spec", "maxPendingRequests"]}
          label="Max pending requests"
          schema={fields.maxPendingRequests}
        />
        <NumberField path={["spec", "maxRequests"]} label="Max requests" schema={fields.maxRequests} />
      </div>
      <OptionalSection path={["spec", "outlierDetection"]} label="Outlier detection">
        <div className="toolbar">
          <NumberField
            path={["spec", "outlierDetection", "consecutive5xx"]}
            label="Consecutive 5xx"
            schema={outlier.consecutive5xx}
          />
          <NumberField
            path={["spec", "outlierDetection", "consecutiveGatewayErrors"]}
            label="Consecutive gateway errors"
            schema={outlier.consecutiveGatewayErrors}
          />
          <TextField
            path={["spec", "outlierDetection", "interval"]}
            label="Interval"
            schema={outlier.interval}
          />
          <TextField
            path={["spec", "outlierDetection", "baseEjectionTime"]}
            label="Base ejection time"
            schema={outlier.baseEjectionTime}
          />
          <NumberField
            path={["spec", "outlierDetection", "maxEjectionPercent"]}
            label="Max ejection (%)"
            schema={outlier.maxEjectionPercent}
          />
        </div>
      </OptionalSection>
    </>
  );
}
