import { z } from "zod";

/** DNS-1123 label: what Kubernetes accepts as a name, so resources move between Loom and k8s unchanged. */
export const nameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    "must be lowercase letters, digits and '-', starting and ending with a letter or digit",
  );

/**
 * For checks across fields or items: run them only once those are valid themselves, so one mistake yields one
 * message (a weight of -1 is "must not be negative", not also "no backend has a weight above 0").
 */
export const onceFieldsAreValid = { when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };

export const labelsSchema = z.record(z.string(), z.string());

/** Tags select a subset of a service's instances, e.g. `{ version: "v2" }`. */
export const tagsSchema = z.record(z.string(), z.string());
export type Tags = z.infer<typeof tagsSchema>;

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Durations are written as in Kubernetes and Envoy: "250ms", "10s", "1.5m", "1h". */
export const durationSchema = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration such as "250ms", "10s", "5m" or "1h"');

export function durationMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new Error(`not a duration: "${duration}"`);
  return Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS];
}

export const percentageSchema = z
  .number()
  .min(0, "must be between 0 and 100")
  .max(100, "must be between 0 and 100");

export const portSchema = z
  .number()
  .int()
  .min(1, "must be a port (1-65535)")
  .max(65535, "must be a port (1-65535)");

export const protocolSchema = z.enum(["http", "http2", "grpc", "tcp"]);
export type Protocol = z.infer<typeof protocolSchema>;

export const httpMethodSchema = z.enum([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "CONNECT",
  "TRACE",
]);
