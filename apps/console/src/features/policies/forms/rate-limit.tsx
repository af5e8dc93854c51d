import { rateLimitSpecSchema } from "@loom/spec";
import type { ZodObject } from "zod";
import { CallersField } from "./callers";
import { MetadataFields, NumberField, TargetRefFields, TextField } from "./fields";

const fields = rateLimitSpecSchema.shape;
const onRateLimit = (fields.onRateLimit.unwrap() as ZodObject).shape;

export function RateLimitForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Limits calls to" />
      <div className="toolbar">
        <NumberField path={["spec", "requests"]} label="Requests" />
        <TextField path={["spec", "interval"]} label="Per interval" schema={fields.interval} />
        <NumberField path={["spec", "burst"]} label="Burst" schema={fields.burst} />
        <NumberField
          path={["spec", "onRateLimit", "status"]}
          label="Refuse with status"
          schema={onRateLimit.status}
        />
      </div>
      <CallersField path={["spec", "from"]} />
    </>
  );
}
