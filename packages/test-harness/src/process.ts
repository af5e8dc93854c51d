import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { guardGroup, releaseGroup } from "./group-guard.ts";
import { LineSplitter, OutputLog } from "./output-log.ts";
import { liveGroupMembers, signalGroup, waitForGroupExit } from "./process-group.ts";
import { registerProcess } from "./registry.ts";
import { testModeEnv } from "./test-mode.ts";
import { errorMessage, waitForHttp } from "./wait.ts";

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type ReadyCheck = { url: string; status?: number } | { line: RegExp };

export interface StartProcessOptions {
  /** Names the process in errors and in the logs printed for a failed test. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Merged over process.env and testModeEnv(); a key set to undefined is removed. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** What "started" means; without it startProcess returns as soon as the process is spawned. */
  ready?: ReadyCheck;
  readyTimeoutMs?: number;
  /** How much recent output logs() keeps, in characters. */
  maxLogChars?: number;
}

export interface StopOptions {
  /** Sent to the whole process group first. */
  signal?: NodeJS.Signals;
  /** How long the group may take to exit before it gets SIGKILL. */
  graceMs?: number;
}

export interface ProcessHandle {
  readonly name: string;
  /** Also the process group id: the process leads its own group. */
  readonly pid: number;
  /** Resolves when the process has exited and its output has been read. */
  readonly exited: Promise<ProcessExit>;
  /** Set as soon as the process has exited. */
  readonly exitStatus: ProcessExit | undefined;
  /** The most recent stdout and stderr lines, interleaved as they arrived. */
  logs(): string;
  /** Calls `listener` for every complete line from now on; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void;
  /** Signals the group, waits up to graceMs, SIGKILLs what is left; resolves once no member remains. */
  stop(options?: StopOptions): Promise<ProcessExit>;
  /** Sends `signal` to the whole group without waiting. */
  kill(signal?: NodeJS.Signals): void;
}

const DEFAULT_MAX_LOG_CHARS = 128 * 1024;
/** Output a process wrote just before exiting can arrive after the exit event. */
const OUTPUT_DRAIN_MS = 250;
/** SIGKILL cannot be ignored, so a group that survives it this long has members outside our reach. */
const AFTER_SIGKILL_MS = 5_000;

/**
 * Spawns a process in its own process group (so stopping it also stops the children it starts, such as
 * the node that `npx tsx` runs), registers it for stopAll(), and waits until it is ready.
 * If it is not ready in time or exits first, it is stopped and the error quotes its last output.
 */
export async function startProcess(options: StartProcessOptions): Promise<ProcessHandle> {
  const child = spawn(options.command, options.args ?? [], {
    cwd: options.cwd,
    env: childEnv(options.env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  await once(child, "spawn").catch((error: unknown) => {
    throw new Error(`${options.name}: cannot start ${options.command}: ${errorMessage(error)}`, {
      cause: error,
    });
  });
  const handle = new ManagedProcess(options.name, child, options.maxLogChars ?? DEFAULT_MAX_LOG_CHARS);
  registerProcess(handle);
  if (options.ready !== undefined) {
    try {
      await waitUntilReady(handle, options.ready, options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      await handle.stop({ graceMs: 1_000 });
      throw new Error(`${options.name} did not become ready: ${errorMessage(error)}\n${logsBlock(handle)}`, {
        cause: error,
      });
    }
  }
  return handle;
}

function childEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...testModeEnv() };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

async function waitUntilReady(handle: ProcessHandle, ready: ReadyCheck, timeoutMs: number): Promise<void> {
  const giveUp = new AbortController();
  const exitedFirst = handle.exited.then((exit) => {
    throw new Error(`exited (${describeExit(exit)}) before it was ready`);
  });
  const becameReady =
    "url" in ready
      ? waitForHttp(ready.url, { status: ready.status, timeoutMs, signal: giveUp.signal })
      : waitForLine(handle, ready.line, { timeoutMs }).then(() => undefined);
  try {
    await Promise.race([becameReady, exitedFirst]);
  } finally {
    giveUp.abort();
    becameReady.catch(() => {});
    exitedFirst.catch(() => {});
  }
}

/**
 * Resolves with the match of the first line of `proc`'s output that matches `pattern`, looking at the
 * lines it already printed (as far as logs() still holds them) and then at new ones. Rejects if the
 * process exits or the timeout passes first.
 */
export function waitForLine(
  proc: ProcessHandle,
  pattern: RegExp,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<RegExpExecArray> {
  for (const line of proc.logs().split("\n")) {
    const match = pattern.exec(line);
    if (match !== null) return Promise.resolve(match);
  }
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void) => {
      unsubscribe();
      clearTimeout(timer);
      settle();
    };
    const unsubscribe = proc.onLine((line) => {
      const match = pattern.exec(line);
      if (match !== null) finish(() => resolve(match));
    });
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${proc.name} to print ${pattern}`)),
        ),
      timeoutMs,
    );
    proc.exited.then((exit) =>
      finish(() =>
        reject(new Error(`${proc.name} exited (${describeExit(exit)}) without printing ${pattern}`)),
      ),
    );
  });
}

export function describeExit(exit: ProcessExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** The process's retained output under a header, as printed for a failed test. */
export function logsBlock(handle: ProcessHandle): string {
  const state =
    handle.exitStatus === undefined ? "running" : `exited with ${describeExit(handle.exitStatus)}`;
  return `── logs of ${handle.name} (pid ${handle.pid}, ${state}) ──\n${handle.logs()}\n── end of ${handle.name} ──`;
}

class ManagedProcess implements ProcessHandle {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
  #exitStatus: ProcessExit | undefined;
  #stopped: Promise<ProcessExit> | undefined;
  readonly #output: OutputLog;
  readonly #lineListeners = new Set<(line: string) => void>();

  constructor(name: string, child: ChildProcess, maxLogChars: number) {
    if (child.pid === undefined || child.stdout === null || child.stderr === null) {
      throw new Error(`${name}: spawned without a pid or output pipes`);
    }
    this.name = name;
    this.pid = child.pid;
    guardGroup(this.pid);
    this.#output = new OutputLog(maxLogChars);
    const outputRead = Promise.all([this.#collect(child.stdout), this.#collect(child.stderr)]);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        const exit = { code, signal };
        this.#exitStatus = exit;
        // Grandchildren may hold the pipes open long after the process itself is gone; don't wait for them.
        Promise.race([outputRead, sleep(OUTPUT_DRAIN_MS)]).then(() => resolve(exit));
      });
    });
  }

  get exitStatus(): ProcessExit | undefined {
    return this.#exitStatus;
  }

  logs(): string {
    return this.#output.text();
  }

  onLine(listener: (line: string) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    signalGroup(this.pid, signal);
  }

  stop({ signal = "SIGTERM", graceMs = 5_000 }: StopOptions = {}): Promise<ProcessExit> {
    this.#stopped ??= this.#stopGroup(signal, graceMs);
    return this.#stopped;
  }

  async #stopGroup(signal: NodeJS.Signals, graceMs: number): Promise<ProcessExit> {
    signalGroup(this.pid, signal);
    if (!(await waitForGroupExit(this.pid, graceMs))) {
      signalGroup(this.pid, "SIGKILL");
      if (!(await waitForGroupExit(this.pid, AFTER_SIGKILL_MS))) {
        const survivors = liveGroupMembers(this.pid);
        if (survivors.length > 0) {
          throw new Error(
            `${this.name}: processes ${survivors.join(", ")} survived SIGKILL of group ${this.pid}`,
          );
        }
      }
    }
    releaseGroup(this.pid);
    return this.exited;
  }

  #collect(stream: Readable): Promise<void> {
    const splitter = new LineSplitter();
    stream.setEncoding("utf8");
    stream.on("data", (text: string) => {
      for (const line of splitter.push(text)) this.#addLine(line);
    });
    // A broken pipe only ends the output early; "close" still follows.
    stream.on("error", () => {});
    return new Promise((resolve) => {
      stream.once("close", () => {
        for (const line of splitter.flush()) this.#addLine(line);
        resolve();
      });
    });
  }

  #addLine(line: string): void {
    this.#output.add(line);
    for (const listener of this.#lineListeners) listener(line);
  }
}
