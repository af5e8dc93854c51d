import { durationMs, type InboundSnapshot } from "@loom/spec";
import { appliesToCaller } from "./caller.ts";
import { type Rejection, reject } from "./rejection.ts";

type AppliedFault = NonNullable<InboundSnapshot["faultInjection"]>;

export interface FaultDecision {
  delayMs: number;
  abort: Rejection | undefined;
}

const NO_FAULT: FaultDecision = { delayMs: 0, abort: undefined };

/** Injects delays and aborts in the given percentages of requests, independently of each other. */
export class FaultInjectionFilter {
  private readonly delayMs: number;
  private readonly abort: Rejection | undefined;

  constructor(
    private readonly policy: AppliedFault,
    private readonly random: () => number = Math.random,
  ) {
    this.delayMs = policy.spec.delay ? durationMs(policy.spec.delay.value) : 0;
    const abort = policy.spec.abort;
    this.abort = abort
      ? reject(abort.httpStatus, `fault injected by FaultInjection ${policy.name}\n`)
      : undefined;
  }

  decide(source: string): FaultDecision {
    const { spec } = this.policy;
    if (!appliesToCaller(spec.from, source)) return NO_FAULT;
    const delayed = spec.delay !== undefined && this.random() * 100 < spec.delay.percentage;
    const aborted = spec.abort !== undefined && this.random() * 100 < spec.abort.percentage;
    if (!delayed && !aborted) return NO_FAULT;
    return { delayMs: delayed ? this.delayMs : 0, abort: aborted ? this.abort : undefined };
  }
}
