import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";

const REPORT_DIR = path.resolve(import.meta.dirname, "../.artifacts/reliability");

/** What issue #7 asks every fault, security and hostile-input test to report, whatever its outcome. */
export interface ReliabilityCounts {
  sent: number;
  failed: number;
  refused: number;
  crashed: number;
  /** Anything else worth reading next to the counts (error rate, p99, seconds to resync, …). */
  notes?: Record<string, number | string>;
}

/**
 * Prints one line per test (`reliability <test>: sent N, failed N, refused N, crashed N`) and appends it to
 * .artifacts/reliability/numbers.jsonl, so the numbers survive the run next to the pass/fail report.
 */
export function reportCounts(test: string, counts: ReliabilityCounts): void {
  const notes = Object.entries(counts.notes ?? {})
    .map(([key, value]) => `, ${key} ${value}`)
    .join("");
  console.log(
    `reliability ${test}: sent ${counts.sent}, failed ${counts.failed}, refused ${counts.refused}, crashed ${counts.crashed}${notes}`,
  );
  mkdirSync(REPORT_DIR, { recursive: true });
  appendFileSync(
    path.join(REPORT_DIR, "numbers.jsonl"),
    `${JSON.stringify({ test, at: new Date().toISOString(), ...counts })}\n`,
  );
}
