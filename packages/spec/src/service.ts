import { z } from "zod";
import { onceFieldsAreValid, portSchema, protocolSchema } from "./common.ts";
import { defineKind } from "./define-kind.ts";

export const servicePortSchema = z.strictObject({
  name: z.string().optional(),
  port: portSchema,
  protocol: protocolSchema.default("http"),
});

export const serviceSpecSchema = z.strictObject({
  ports: z
    .array(servicePortSchema)
    .min(1, "needs at least one port")
    .superRefine((ports, ctx) => {
      ports.forEach((entry, index) => {
        const first = ports.findIndex((other) => other.port === entry.port);
        if (first < index)
          ctx.addIssue({
            code: "custom",
            path: [index, "port"],
            message: `${entry.port} is already listed at ports[${first}]`,
          });
      });
    }, onceFieldsAreValid),
});
export const serviceSchema = defineKind("Service", serviceSpecSchema);
export type Service = z.infer<typeof serviceSchema>;
