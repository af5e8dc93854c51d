import { z } from "zod";
import { durationSchema } from "../common.ts";
import { defineKind } from "../define-kind.ts";
import { targetRefSchema } from "../target-ref.ts";

/** Also embedded in a TrafficRoute rule, where it overrides the Timeout kind for that rule only. */
export const timeoutConfigSchema = z.strictObject({
  /** Whole request, retries included. */
  request: durationSchema.default("15s"),
  /** Connecting to one endpoint. */
  connect: durationSchema.default("5s"),
  /** A connection with no request in flight is closed after this. */
  idle: durationSchema.default("1h"),
});
export type TimeoutConfig = z.infer<typeof timeoutConfigSchema>;

export const timeoutSpecSchema = z
  .strictObject({ targetRef: targetRefSchema })
  .extend(timeoutConfigSchema.shape);
export const timeoutSchema = defineKind("Timeout", timeoutSpecSchema);
export type Timeout = z.infer<typeof timeoutSchema>;
