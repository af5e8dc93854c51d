import { EventEmitter, on } from "node:events";
import { durationMs, type Rollout, timer } from "@loom/spec";
import type { EventBus } from "../events.ts";
import { toResource } from "../resources/to-resource.ts";
import { writeAudit } from "../store/audit-log.ts";
import { ConflictError, NotFoundError, type RolloutStateRecord, type Store } from "../store/index.ts";
import type { MetricsBackend } from "../telemetry/metrics-backend.ts";
import { judgeGates } from "./gates.ts";
import { createLeadership, type Leadership } from "./leadership.ts";
import {
  type GateResult,
  lastEvent,
  type RolloutEvent,
  type RolloutPhase,
  RUNNING_PHASES,
  stepStartedAt,
  type VersionSample,
} from "./rollout-state.ts";
import { rolloutActor } from "./route-ownership.ts";
import { routeInForce, routeWithCanaryWeight } from "./route-weights.ts";

/** How far back the stable version's traffic is read as the baseline when a Rollout starts. */
const BASELINE_WINDOW_MS = 5 * 60_000;

export interface RolloutKey {
  mesh: string;
  namespace: string;
  name: string;
}

/** A Rollout and where it stands, as the console and loomctl show it. */
export interface RolloutView extends RolloutKey {
  service: string;
  phase: RolloutPhase | "pending";
  /** 0-based; equal to the number of steps once every step passed. */
  currentStep: number;
  steps: { canaryWeight: number; holdMs: number }[];
  /** The canary's share of traffic now. */
  canaryWeight: number;
  startedAt: string | null;
  stepStartedAt: string | null;
  /** What the controller is doing or waiting for. */
  message: string;
  lastGate: GateResult | null;
  history: RolloutEvent[];
}

export interface RolloutControllerOptions {
  store: Store;
  metrics: MetricsBackend;
  events: EventBus;
  leadership?: Leadership;
  /** How often the leader looks at every Rollout (default: half the minimum hold). */
  tickMs?: number;
  /** Holds shorter than this are lengthened to it (default timer("rolloutMinHoldMs")). */
  minHoldMs?: number;
}

export interface RolloutController {
  /** Starts the leader's loop. */
  start(): void;
  /** One round over every Rollout, if this process leads; what the loop runs. */
  tick(): Promise<void>;
  list(mesh?: string): Promise<RolloutView[]>;
  get(key: RolloutKey): Promise<RolloutView>;
  pause(key: RolloutKey, actor: string): Promise<RolloutView>;
  resume(key: RolloutKey, actor: string): Promise<RolloutView>;
  /** Sends every request back to the stable version and ends the Rollout. */
  abort(key: RolloutKey, actor: string): Promise<RolloutView>;
  /** The Rollouts of a mesh (or one of them) each time they change; ends when `signal` aborts. */
  watch(filter: { mesh?: string; name?: string }, signal?: AbortSignal): AsyncGenerator<RolloutView[]>;
  close(): Promise<void>;
}

/**
 * Drives Rollouts: each step sets the canary's weight in the service's TrafficRoute (written as
 * `rollout:<name>`), holds, then judges the gates from the metrics backend; a failing gate rolls back, the last
 * passing step promotes. State lives in the store's rollout states so a new leader carries on; every step is in
 * the audit log. Only the leader (see leadership.ts) drives; any replica can pause, resume or abort.
 */
export function createRolloutController(options: RolloutControllerOptions): RolloutController {
  const { store, metrics, events } = options;
  const minHoldMs = options.minHoldMs ?? timer("rolloutMinHoldMs");
  const tickMs = options.tickMs ?? Math.max(50, minHoldMs / 2);
  const leadership = options.leadership ?? createLeadership(store);
  /** What the leader is waiting for, per Rollout: not worth a store write on every tick. */
  const messages = new Map<string, string>();
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  let loop: NodeJS.Timeout | undefined;
  // Rounds and operator actions take turns, so an abort never interleaves with a step.
  let queue: Promise<unknown> = Promise.resolve();

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => {});
    return result;
  }

  async function loadRollout(key: RolloutKey): Promise<Rollout> {
    const stored = await store.resources.get({ kind: "Rollout", ...key });
    if (stored === null)
      throw new NotFoundError(`Rollout "${key.namespace}/${key.name}" in mesh "${key.mesh}" does not exist`);
    return toResource(stored) as Rollout;
  }

  async function audit(rollout: Rollout, action: string, actor: string, detail: Record<string, unknown>) {
    const { mesh, namespace, name } = rollout.metadata;
    await store.prisma.$transaction((tx) =>
      writeAudit(tx, {
        actor,
        action: `rollout.${action}`,
        kind: "Rollout",
        name,
        mesh,
        detail: { namespace, ...detail },
      }),
    );
  }

  async function save(
    rollout: Rollout,
    phase: RolloutPhase,
    currentStep: number,
    startedAt: Date,
    history: RolloutEvent[],
  ) {
    const { mesh, namespace, name } = rollout.metadata;
    const record = await store.rolloutStates.save({
      mesh,
      namespace,
      name,
      state: phase,
      currentStep,
      startedAt,
      history,
    });
    changes.emit("change");
    return record;
  }

  /** Writes the canary's weight into the route; returns which route that is. */
  async function setCanaryWeight(
    rollout: Rollout,
    canaryWeight: number,
    routeKey?: { namespace: string; name: string },
  ) {
    const { mesh } = rollout.metadata;
    const actor = rolloutActor(rollout.metadata.name);
    const current = routeKey
      ? await store.resources.get({ kind: "TrafficRoute", mesh, ...routeKey })
      : undefined;
    const route =
      current != null
        ? (toResource(current) as Parameters<typeof routeWithCanaryWeight>[0])
        : routeKey
          ? undefined
          : routeInForce((await store.resources.list({ mesh })).map(toResource), rollout);
    const next = routeWithCanaryWeight(route, rollout, canaryWeight);
    const stored = route
      ? await store.resources.update(next, { expectedVersion: Number(route.metadata.resourceVersion), actor })
      : await store.resources.create(next, { actor });
    const { namespace, name, resourceVersion } = stored.metadata;
    events.publish({
      type: "resource",
      action: route ? "update" : "create",
      kind: "TrafficRoute",
      mesh,
      namespace,
      name,
      resourceVersion,
    });
    return { namespace, name };
  }

  async function versionSample(
    rollout: Rollout,
    version: string,
    windowMs: number,
  ): Promise<VersionSample | null> {
    const [stats] = await metrics.traffic({
      where: { direction: "inbound", destination: rollout.spec.targetRef.name, destination_version: version },
      groupBy: [],
      windowMs,
    });
    return stats
      ? { requests: stats.requests, successRate: stats.successRate, latencyMs: stats.latencyMs }
      : null;
  }

  async function fail(rollout: Rollout, now: Date, reason: string): Promise<void> {
    const actor = rolloutActor(rollout.metadata.name);
    const history: RolloutEvent[] = [
      {
        type: "started",
        at: now.toISOString(),
        resourceVersion: rollout.metadata.resourceVersion ?? "",
        route: { namespace: "", name: "" },
        baseline: null,
      },
      { type: "failed", at: now.toISOString(), by: actor, reason },
    ];
    await save(rollout, "failed", 0, now, history);
    await audit(rollout, "fail", actor, { reason });
  }

  async function begin(rollout: Rollout): Promise<void> {
    const actor = rolloutActor(rollout.metadata.name);
    const now = new Date();
    const stableVersion = rollout.spec.stable.tags.version;
    const canaryVersion = rollout.spec.canary.tags.version;
    if (stableVersion === undefined || canaryVersion === undefined)
      return fail(
        rollout,
        now,
        "gates compare versions by the version tag: stable.tags and canary.tags need a version",
      );
    const firstWeight = rollout.spec.steps[0]?.canaryWeight ?? 0;
    const baseline = await versionSample(rollout, stableVersion, BASELINE_WINDOW_MS);
    let route: { namespace: string; name: string };
    try {
      route = await setCanaryWeight(rollout, firstWeight);
    } catch (error) {
      // A lost race is retried next round; a route the Rollout cannot split never will be.
      if (error instanceof ConflictError) throw error;
      return fail(rollout, now, (error as Error).message);
    }
    const history: RolloutEvent[] = [
      {
        type: "started",
        at: now.toISOString(),
        resourceVersion: rollout.metadata.resourceVersion ?? "",
        route,
        baseline,
      },
      { type: "step", at: now.toISOString(), step: 0, canaryWeight: firstWeight },
    ];
    await save(rollout, "progressing", 0, now, history);
    await audit(rollout, "start", actor, { route: route.name, stable: stableVersion, canary: canaryVersion });
    await audit(rollout, "step", actor, { step: 1, canaryWeight: firstWeight });
  }

  async function finish(
    rollout: Rollout,
    state: RolloutStateRecord,
    outcome: "promoted" | "rolledBack" | "aborted",
    by: string,
    reason: string,
  ): Promise<void> {
    const history = state.history as RolloutEvent[];
    const route = lastEvent(history, "started")?.route;
    await setCanaryWeight(rollout, outcome === "promoted" ? 100 : 0, route);
    history.push({ type: outcome, at: new Date().toISOString(), by, reason });
    await save(rollout, outcome, state.currentStep, state.startedAt, history);
    const action = { promoted: "promote", rolledBack: "rollback", aborted: "abort" }[outcome];
    await audit(rollout, action, by, { reason, canaryWeight: outcome === "promoted" ? 100 : 0 });
  }

  async function advance(rollout: Rollout, state: RolloutStateRecord): Promise<void> {
    const key = keyString(rollout.metadata);
    const actor = rolloutActor(rollout.metadata.name);
    const history = state.history as RolloutEvent[];
    const steps = rollout.spec.steps;
    if (state.currentStep >= steps.length)
      return finish(rollout, state, "promoted", actor, "every step passed its gates");
    const step = steps[state.currentStep] as Rollout["spec"]["steps"][number];
    const holdMs = Math.max(durationMs(step.hold), minHoldMs);
    const elapsedMs = Date.now() - (stepStartedAt(history) ?? state.startedAt).getTime();
    if (elapsedMs < holdMs) {
      messages.set(
        key,
        `step ${state.currentStep + 1} of ${steps.length}: canary at ${step.canaryWeight} %, holding ${Math.ceil((holdMs - elapsedMs) / 1000)} s more`,
      );
      return;
    }
    const [canary, stable] = await Promise.all([
      versionSample(rollout, rollout.spec.canary.tags.version ?? "", elapsedMs),
      versionSample(rollout, rollout.spec.stable.tags.version ?? "", elapsedMs),
    ]);
    const baseline = lastEvent(history, "started")?.baseline ?? null;
    const result = judgeGates(rollout.spec.gates, canary, stable, baseline);
    if (result.verdict === "wait") {
      messages.set(key, `step ${state.currentStep + 1} of ${steps.length}: ${result.reasons.join("; ")}`);
      changes.emit("change");
      return;
    }
    messages.delete(key);
    const at = new Date().toISOString();
    history.push({ type: "gate", at, step: state.currentStep, result });
    await audit(rollout, "gate", actor, {
      step: state.currentStep + 1,
      verdict: result.verdict,
      reasons: result.reasons,
    });
    if (result.verdict === "fail") {
      const reason = `gate failed at step ${state.currentStep + 1}: ${result.reasons.join("; ")}`;
      if (rollout.spec.autoRollback) return finish(rollout, state, "rolledBack", actor, reason);
      history.push({ type: "paused", at, by: actor, reason: `${reason} (autoRollback is off)` });
      await save(rollout, "paused", state.currentStep, state.startedAt, history);
      await audit(rollout, "pause", actor, { reason });
      return;
    }
    const next = state.currentStep + 1;
    if (next >= steps.length) {
      const passed = { ...state, currentStep: next, history };
      if (rollout.spec.autoPromote)
        return finish(rollout, passed, "promoted", actor, "every step passed its gates");
      history.push({
        type: "paused",
        at,
        by: actor,
        reason: "every step passed: resume to promote (autoPromote is off)",
      });
      await save(rollout, "paused", next, state.startedAt, history);
      return;
    }
    const canaryWeight = (steps[next] as Rollout["spec"]["steps"][number]).canaryWeight;
    await setCanaryWeight(rollout, canaryWeight, lastEvent(history, "started")?.route);
    history.push({ type: "step", at, step: next, canaryWeight });
    await save(rollout, "progressing", next, state.startedAt, history);
    await audit(rollout, "step", actor, { step: next + 1, canaryWeight });
  }

  /** `runningForService`: another Rollout of the same service that owns its route now, if any. */
  async function drive(
    rollout: Rollout,
    state: RolloutStateRecord | undefined,
    runningForService: Rollout | undefined,
  ): Promise<void> {
    if (startsAnew(rollout, state)) {
      if (runningForService === undefined) return begin(rollout);
      messages.set(
        keyString(rollout.metadata),
        `waiting for Rollout "${runningForService.metadata.name}" of ${rollout.spec.targetRef.name} to end`,
      );
      return;
    }
    if (state?.state === "progressing") return advance(rollout, state);
  }

  async function round(): Promise<void> {
    if (!(await leadership.isLeader())) return;
    const rollouts = (await store.resources.list({ kind: "Rollout" })).map(
      (stored) => toResource(stored) as Rollout,
    );
    const states = await store.rolloutStates.list();
    const stateOf = (rollout: Rollout) =>
      states.find((candidate) => keyString(candidate) === keyString(rollout.metadata));
    // The Rollout that owns each service's route; one that starts in this round claims it too.
    const owners = new Map<string, Rollout>();
    for (const rollout of rollouts)
      if (RUNNING_PHASES.includes(stateOf(rollout)?.state as RolloutPhase))
        owners.set(serviceKey(rollout), rollout);
    for (const rollout of rollouts) {
      const owner = owners.get(serviceKey(rollout));
      const runningForService = owner === rollout ? undefined : owner;
      if (owner === undefined && startsAnew(rollout, stateOf(rollout)))
        owners.set(serviceKey(rollout), rollout);
      try {
        await drive(rollout, stateOf(rollout), runningForService);
      } catch (error) {
        // A conflicting route write or an unreachable metrics backend: try again next round.
        messages.set(keyString(rollout.metadata), `error: ${(error as Error).message}`);
        changes.emit("change");
      }
    }
    for (const state of states)
      if (!rollouts.some((rollout) => keyString(rollout.metadata) === keyString(state))) {
        await store.rolloutStates.delete(state);
        changes.emit("change");
      }
  }

  function view(rollout: Rollout, state: RolloutStateRecord | null): RolloutView {
    const history = (state?.history ?? []) as RolloutEvent[];
    const phase = (state?.state ?? "pending") as RolloutView["phase"];
    const steps = rollout.spec.steps.map((step) => ({
      canaryWeight: step.canaryWeight,
      holdMs: Math.max(durationMs(step.hold), minHoldMs),
    }));
    const weightEvent = lastEvent(history, "step", "promoted", "rolledBack", "aborted");
    const canaryWeight =
      weightEvent === undefined
        ? 0
        : weightEvent.type === "step"
          ? weightEvent.canaryWeight
          : weightEvent.type === "promoted"
            ? 100
            : 0;
    const lastGate = lastEvent(history, "gate")?.result ?? null;
    const ending = lastEvent(history, "promoted", "rolledBack", "aborted", "failed", "paused");
    const message =
      messages.get(keyString(rollout.metadata)) ??
      (phase === "pending"
        ? "waiting for the controller"
        : (ending?.reason ??
          `step ${Math.min(state?.currentStep ?? 0, steps.length - 1) + 1} of ${steps.length}`));
    return {
      mesh: rollout.metadata.mesh,
      namespace: rollout.metadata.namespace,
      name: rollout.metadata.name,
      service: rollout.spec.targetRef.name,
      phase,
      currentStep: state?.currentStep ?? 0,
      steps,
      canaryWeight,
      startedAt: state?.startedAt.toISOString() ?? null,
      stepStartedAt: phase === "progressing" ? (stepStartedAt(history)?.toISOString() ?? null) : null,
      message,
      lastGate,
      history,
    };
  }

  async function list(mesh?: string): Promise<RolloutView[]> {
    const [rollouts, states] = await Promise.all([
      store.resources.list({ kind: "Rollout", ...(mesh ? { mesh } : {}) }),
      store.rolloutStates.list(mesh ? { mesh } : {}),
    ]);
    return rollouts.map((stored) => {
      const rollout = toResource(stored) as Rollout;
      return view(rollout, states.find((state) => keyString(state) === keyString(rollout.metadata)) ?? null);
    });
  }

  async function get(key: RolloutKey): Promise<RolloutView> {
    const rollout = await loadRollout(key);
    return view(rollout, await store.rolloutStates.get(key));
  }

  async function runningState(key: RolloutKey, allowed: RolloutPhase[], action: string) {
    const rollout = await loadRollout(key);
    const state = await store.rolloutStates.get(key);
    if (state === null || !allowed.includes(state.state as RolloutPhase))
      throw new ConflictError(
        `Rollout "${key.name}" cannot ${action}: it is ${state?.state ?? "not started yet"}`,
        Number(rollout.metadata.resourceVersion),
      );
    return { rollout, state, history: state.history as RolloutEvent[] };
  }

  return {
    start() {
      if (loop) return;
      loop = setInterval(() => void serialized(round).catch(() => {}), tickMs);
      loop.unref();
    },
    tick: () => serialized(round),
    list,
    get,
    pause: (key, actor) =>
      serialized(async () => {
        const { rollout, state, history } = await runningState(key, ["progressing"], "pause");
        history.push({ type: "paused", at: new Date().toISOString(), by: actor });
        await save(rollout, "paused", state.currentStep, state.startedAt, history);
        await audit(rollout, "pause", actor, { step: state.currentStep + 1 });
        messages.delete(keyString(key));
        return get(key);
      }),
    resume: (key, actor) =>
      serialized(async () => {
        const { rollout, state, history } = await runningState(key, ["paused"], "resume");
        const step = rollout.spec.steps[state.currentStep];
        // The route may have been edited while paused: the step's weight is put back.
        if (step) await setCanaryWeight(rollout, step.canaryWeight, lastEvent(history, "started")?.route);
        history.push({ type: "resumed", at: new Date().toISOString(), by: actor });
        await save(rollout, "progressing", state.currentStep, state.startedAt, history);
        await audit(rollout, "resume", actor, { step: state.currentStep + 1 });
        return get(key);
      }),
    abort: (key, actor) =>
      serialized(async () => {
        const { rollout, state } = await runningState(key, ["progressing", "paused"], "abort");
        await finish(rollout, state, "aborted", actor, `aborted by ${actor}`);
        messages.delete(keyString(key));
        return get(key);
      }),
    async *watch(filter, signal) {
      const relay = new EventEmitter();
      const forward = () => relay.emit("tick");
      changes.on("change", forward);
      // Another replica may be the leader: its changes arrive through the store only.
      const poll = setInterval(forward, tickMs);
      let last = "";
      try {
        const ticks = on(relay, "tick", { signal });
        for (;;) {
          const views = (await list(filter.mesh)).filter(
            (rollout) => filter.name === undefined || rollout.name === filter.name,
          );
          const text = JSON.stringify(views);
          if (text !== last) {
            last = text;
            yield views;
          }
          if ((await ticks.next()).done) return;
        }
      } catch (error) {
        if (!signal?.aborted) throw error;
      } finally {
        clearInterval(poll);
        changes.off("change", forward);
      }
    },
    async close() {
      clearInterval(loop);
      loop = undefined;
      await queue;
      await leadership.close();
    },
  };
}

/** Never run, or ended and changed since (a new canary, new steps): a new run begins. */
function startsAnew(rollout: Rollout, state: RolloutStateRecord | undefined): boolean {
  if (state === undefined) return true;
  if (RUNNING_PHASES.includes(state.state as RolloutPhase)) return false;
  const started = lastEvent(state.history as RolloutEvent[], "started");
  return started?.resourceVersion !== rollout.metadata.resourceVersion;
}

function serviceKey(rollout: Rollout): string {
  return `${rollout.metadata.mesh}/${rollout.spec.targetRef.name}`;
}

function keyString(key: { mesh: string; namespace?: string; name: string }): string {
  return `${key.mesh}/${key.namespace ?? "default"}/${key.name}`;
}
