import { EventEmitter, on } from "node:events";
import type { RevisionAction } from "./store/index.ts";

/**
 * What changed, not the new state: subscribers re-read what they show. Keeping events this small is what lets
 * a replica forward them to others (PostgreSQL NOTIFY payloads are limited to 8000 bytes).
 */
export type LoomEvent =
  | {
      type: "resource";
      action: RevisionAction | "rollback";
      kind: string;
      mesh: string;
      namespace: string;
      name: string;
      /** The version the write produced (for a delete, the version that recorded it). */
      resourceVersion: number;
    }
  | {
      type: "dataplane";
      /** Heartbeats of a proxy already online are not events: they would drown everything else. */
      change: "registered" | "online" | "offline" | "acked" | "nacked" | "removed";
      dataplaneId: number;
      mesh: string;
    };

export type LoomEventType = LoomEvent["type"];
export type LoomEventOf<T extends LoomEventType> = Extract<LoomEvent, { type: T }>;

/**
 * The in-process fan-out of changes. `publish` is the only way in, so a cross-replica transport (LISTEN/NOTIFY)
 * can wrap it: publish locally and NOTIFY, and publish what other replicas NOTIFY.
 */
export interface EventBus {
  publish(event: LoomEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: LoomEvent) => void): () => void;
}

export function createEventBus(): EventBus {
  const emitter = new EventEmitter();
  // Every open console tab holds a subscription; the default warning at 10 listeners would be noise.
  emitter.setMaxListeners(0);
  return {
    publish(event) {
      emitter.emit("event", event);
    },
    subscribe(listener) {
      emitter.on("event", listener);
      return () => emitter.off("event", listener);
    },
  };
}

/** Events of one type as an async iterable that ends when `signal` aborts (a tRPC subscription's lifetime). */
export async function* eventsOf<T extends LoomEventType>(
  bus: EventBus,
  type: T,
  signal: AbortSignal | undefined,
): AsyncGenerator<LoomEventOf<T>> {
  const relay = new EventEmitter();
  const unsubscribe = bus.subscribe((event) => {
    if (event.type === type) relay.emit("event", event);
  });
  try {
    for await (const [event] of on(relay, "event", { signal })) yield event as LoomEventOf<T>;
  } catch (error) {
    if (!signal?.aborted) throw error;
  } finally {
    unsubscribe();
  }
}
