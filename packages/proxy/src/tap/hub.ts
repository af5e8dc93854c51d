import type { RequestDirection } from "@loom/spec";

/** What the tap streams for one finished request. */
export interface TapSummary {
  /** When the request finished, in ms since the epoch. */
  time: number;
  direction: RequestDirection;
  method: string;
  path: string;
  /** Absent when no response was sent (the caller went away, the upstream broke). */
  status: number | undefined;
  /** The gRPC status of a gRPC call. */
  grpcStatus?: number | undefined;
  latencyMs: number;
  source: string;
  destination: string;
}

export interface TapSubscriber {
  offer(summary: TapSummary): void;
  close(): void;
}

/**
 * Fans request summaries out to the tap streams open on the admin port. The data path asks `active`
 * before building a summary, so with nobody watching the tap costs one property read per request.
 */
export class TapHub {
  private readonly subscribers = new Set<TapSubscriber>();

  get active(): boolean {
    return this.subscribers.size > 0;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  publish(summary: TapSummary): void {
    for (const subscriber of this.subscribers) subscriber.offer(summary);
  }

  /** Returns the function that unsubscribes. */
  subscribe(subscriber: TapSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** Ends every stream (the proxy is shutting down). */
  close(): void {
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.clear();
  }
}
