import { EventEmitter } from "node:events";
import type { ClientRequest } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type CsrResponse,
  csrResponseSchema,
  DATAPLANE_API,
  type RegisterRequest,
  registerResponseSchema,
  type Snapshot,
} from "@loom/spec";
import { createParser } from "eventsource-parser";
import { backoffDelayMs } from "./backoff.ts";
import {
  type ControlPlaneConnection,
  ControlPlaneError,
  connectionTo,
  errorText,
  openRequest,
  postJson,
} from "./control-plane-http.ts";
import { type AnswerableSnapshotEvent, readSnapshotEvent, type StreamEndpoints } from "./snapshot-event.ts";

/** What the data path answers for a snapshot: applied, or refused with a reason the control plane records. */
export type ApplyResult = { ok: true } | { ok: false; error: string };

export interface XdsClientOptions {
  /** The control plane's base URL (https). */
  url: string;
  /** PEM bundle to trust the control plane's certificate; the system roots when absent. */
  caPem?: string;
  /** The dataplane token. */
  token: string;
  registration: RegisterRequest;
  /** Applies a snapshot atomically; on refusal the previous snapshot must stay in force. */
  applySnapshot(snapshot: Snapshot): ApplyResult | Promise<ApplyResult>;
}

/** The stream is dead after this many missed heartbeats, even when TCP has not noticed. */
const MISSED_HEARTBEATS_LIMIT = 3;
/** Far above any real snapshot; keeps a broken stream from growing the parser's buffer without end. */
const MAX_EVENT_CHARS = 64 << 20;

interface Verdict {
  version: string;
  ok: boolean;
  error?: string;
}

/**
 * The proxy's control-plane client: registers, follows the snapshot stream, hands each snapshot to the data
 * path and ACKs or NACKs it, and reconnects with backoff and jitter, resuming from the version it applied.
 * While the control plane is away the last applied snapshot simply stays in force (fail-static).
 *
 * Events: "registered" (dataplaneId), "connected", "disconnected" (error), "applied" (snapshot),
 * "rejected" (version, reason), "warning" (error: an ACK that could not be sent, an unreadable event).
 */
export class XdsClient extends EventEmitter {
  readonly #options: XdsClientOptions;
  readonly #connection: ControlPlaneConnection;
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #stream: ClientRequest | undefined;
  #dataplaneId: string | undefined;
  readonly #firstRegistration = deferred<string>();
  #appliedVersion: string | undefined;
  #lastSnapshot: Snapshot | undefined;
  /** Only the newest snapshot waiting matters: an older one would be superseded as soon as it applied. */
  #pendingEvent: AnswerableSnapshotEvent | undefined;
  #draining: Promise<void> | undefined;

  constructor(options: XdsClientOptions) {
    super();
    this.#options = options;
    this.#connection = connectionTo(options.url, options.token, options.caPem);
    // requestCertificate callers await this; stop() rejects it, and nobody awaiting is not an error.
    this.#firstRegistration.promise.catch(() => {});
  }

  get dataplaneId(): string | undefined {
    return this.#dataplaneId;
  }

  /** The version of the snapshot in force, if any. */
  get appliedVersion(): string | undefined {
    return this.#appliedVersion;
  }

  /** The snapshot in force: the last one the data path accepted. */
  get lastSnapshot(): Snapshot | undefined {
    return this.#lastSnapshot;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#firstRegistration.reject(new Error("the control-plane client stopped"));
    this.#stream?.destroy();
    await this.#loop;
    await this.#draining;
    this.#connection.agent.destroy();
  }

  /** Sends a CSR for this dataplane (after registration) and returns the certificate chain. */
  async requestCertificate(csrPem: string): Promise<CsrResponse> {
    const dataplaneId = this.#dataplaneId ?? (await this.#firstRegistration.promise);
    const answer = await postJson(this.#connection, DATAPLANE_API.csr, { dataplaneId, csrPem });
    return csrResponseSchema.parse(answer);
  }

  async #run(): Promise<void> {
    const { signal } = this.#stopping;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const heartbeatIntervalMs = await this.#register();
        await this.#follow(heartbeatIntervalMs, () => {
          failures = 0;
          this.emit("connected");
        });
        if (!signal.aborted) this.emit("disconnected", new Error("the control plane closed the stream"));
      } catch (error) {
        if (!signal.aborted) this.emit("disconnected", error);
      }
      await sleep(backoffDelayMs(failures), undefined, { signal }).catch(() => {});
      failures += 1;
    }
  }

  /** Registering on every connect is idempotent and re-creates the record if the control plane lost it. */
  async #register(): Promise<number> {
    const answer = registerResponseSchema.parse(
      await postJson(this.#connection, DATAPLANE_API.register, this.#options.registration),
    );
    this.#dataplaneId = answer.dataplaneId;
    this.#firstRegistration.resolve(answer.dataplaneId);
    this.emit("registered", answer.dataplaneId, answer.tapToken);
    return answer.heartbeatIntervalMs;
  }

  /** Resolves when the control plane ends the stream, rejects when it fails or falls silent. */
  #follow(heartbeatIntervalMs: number, onOpen: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const query = new URLSearchParams({ dataplaneId: this.#dataplaneId ?? "", endpointReuse: "1" });
      if (this.#appliedVersion !== undefined) query.set("lastVersion", this.#appliedVersion);
      const request = openRequest(this.#connection, "GET", `${DATAPLANE_API.stream}?${query}`, {
        accept: "text/event-stream",
      });
      this.#stream = request;
      const silenceLimitMs = heartbeatIntervalMs * MISSED_HEARTBEATS_LIMIT;
      let watchdog: NodeJS.Timeout | undefined;
      const heardFrom = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(
          () => request.destroy(new Error(`no heartbeat from the control plane for ${silenceLimitMs} ms`)),
          silenceLimitMs,
        );
      };
      const fail = (error: Error) => {
        clearTimeout(watchdog);
        reject(error);
      };
      request.on("error", fail);
      request.on("response", (response) => {
        response.setEncoding("utf8");
        response.on("error", fail);
        if (response.statusCode !== 200) {
          let body = "";
          response.on("data", (chunk: string) => {
            body += chunk;
          });
          response.on("end", () => {
            const status = response.statusCode ?? 0;
            fail(new ControlPlaneError(status, `stream: ${status} ${errorText(safeJson(body), body)}`));
          });
          return;
        }
        onOpen();
        heardFrom();
        const delivered: StreamEndpoints = new Map();
        const parser = createParser({
          maxBufferSize: MAX_EVENT_CHARS,
          onEvent: (event) => {
            if (event.event === "snapshot") this.#receive(event.data, delivered, request);
          },
          onError: (error) => request.destroy(error),
        });
        response.on("data", (chunk: string) => {
          heardFrom();
          parser.feed(chunk);
        });
        response.on("end", () => {
          clearTimeout(watchdog);
          resolve();
        });
      });
      request.end();
    });
  }

  #receive(eventData: string, delivered: StreamEndpoints, stream: ClientRequest): void {
    const event = readSnapshotEvent(eventData, delivered);
    if (event.kind === "unreadable" || event.kind === "out-of-step") {
      this.emit("warning", new Error(event.error));
      // A new stream starts from whole snapshots again.
      if (event.kind === "out-of-step") stream.destroy(new Error(event.error));
      return;
    }
    this.#pendingEvent = event;
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async #drain(): Promise<void> {
    for (let event = this.#pendingEvent; event !== undefined; event = this.#pendingEvent) {
      this.#pendingEvent = undefined;
      await this.#report(await this.#judge(event));
    }
  }

  /** ACK or NACK of a snapshot event. */
  async #judge(event: AnswerableSnapshotEvent): Promise<Verdict> {
    const { version } = event;
    if (event.kind === "invalid") return this.#refuse(version, event.error);
    if (version === this.#appliedVersion) return { version, ok: true };

    let result: ApplyResult;
    try {
      result = await this.#options.applySnapshot(event.snapshot);
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (!result.ok) return this.#refuse(version, result.error);
    this.#appliedVersion = version;
    this.#lastSnapshot = event.snapshot;
    this.emit("applied", event.snapshot);
    return { version, ok: true };
  }

  #refuse(version: string, error: string): Verdict {
    this.emit("rejected", version, error);
    return { version, ok: false, error };
  }

  async #report(verdict: Verdict): Promise<void> {
    try {
      await postJson(this.#connection, DATAPLANE_API.ack, { dataplaneId: this.#dataplaneId, ...verdict });
    } catch (error) {
      // The next stream resumes from the applied version, which tells the control plane the same.
      this.emit("warning", error);
    }
  }
}

/** Promise.withResolvers, which Node 20 lacks. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: Error) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
