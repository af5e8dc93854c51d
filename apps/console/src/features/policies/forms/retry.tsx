import { retryConditionSchema, retryConfigSchema } from "@loom/spec";
import type { ZodObject } from "zod";
import { ChoicesField, MetadataFields, NumberField, TargetRefFields, TextField } from "./fields";

const fields = retryConfigSchema.shape;
const backoff = (fields.backoff.unwrap() as ZodObject).shape;
const budget = (fields.budget.unwrap() as ZodObject).shape;

export function RetryForm() {
  return (
    <>
      <MetadataFields />
      <TargetRefFields path={["spec", "targetRef"]} label="Calls to" />
      <div className="toolbar">
        <NumberField
          path={["spec", "attempts"]}
          label="Attempts (first try included)"
          schema={fields.attempts}
        />
        <TextField path={["spec", "perTryTimeout"]} label="Per-try timeout" placeholder="none" />
      </div>
      <ChoicesField path={["spec", "retryOn"]} label="Retry on" options={retryConditionSchema.options} />
      <div className="toolbar">
        <TextField path={["spec", "backoff", "base"]} label="Backoff base" schema={backoff.base} />
        <TextField path={["spec", "backoff", "max"]} label="Backoff max" schema={backoff.max} />
        <NumberField
          path={["spec", "budget", "percent"]}
          label="Budget (% of requests)"
          schema={budget.percent}
        />
        <NumberField
          path={["spec", "budget", "minRetriesPerSecond"]}
          label="Min retries per second"
          schema={budget.minRetriesPerSecond}
        />
      </div>
    </>
  );
}
