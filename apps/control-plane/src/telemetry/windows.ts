import { z } from "zod";

/** The windows golden metrics are answered over, as the console offers them. */
export const METRICS_WINDOWS_MS = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "1h": 3_600_000,
} as const;

export const metricsWindowSchema = z.enum(["1m", "5m", "15m", "1h"]);
export type MetricsWindow = z.infer<typeof metricsWindowSchema>;

/** The longest window: what the hub keeps in memory. */
export const RETENTION_MS = METRICS_WINDOWS_MS["1h"];
