import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Sees every output line as well (progress shown by the launcher). */
  onLine?: (line: string) => void;
}

export interface Child {
  readonly name: string;
  /** Also its process group id: each child leads its own group, so its own children stop with it. */
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with how it ended: "code 0", "signal SIGKILL". */
  readonly exited: Promise<string>;
  /** Resolves with the match of the first output line matching `pattern`; rejects if the child exits first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

/**
 * Starts the demo's processes and stops every one of them, with everything they started. Each child gets its
 * own process group: a Ctrl-C in the terminal reaches only the launcher, which stops the children in order
 * (traffic first, control plane last) with SIGTERM so proxies drain, and SIGKILLs whatever outlives the grace.
 */
export class Supervisor {
  readonly #children: ChildImpl[] = [];

  constructor(private readonly onExit: (child: Child, how: string) => void) {
    // Whatever way the launcher exits, no group it started survives it.
    process.on("exit", () => {
      for (const child of this.#children) signalGroup(child.pid, "SIGKILL");
    });
  }

  start(options: ChildOptions): Child {
    const child = new ChildImpl(options);
    this.#children.push(child);
    child.exited.then((how) => this.onExit(child, how));
    return child;
  }

  get children(): readonly Child[] {
    return this.#children;
  }

  /**
   * Stops the children in `waves` (names in each wave stop together), then any others; resolves with the
   * names of those whose process group outlived even SIGKILL (none, unless the kernel is stuck).
   */
  async stopAll(waves: readonly (readonly string[])[], graceMs: number): Promise<string[]> {
    const remaining = new Set(this.#children);
    const survivors: string[] = [];
    for (const wave of [...waves, undefined]) {
      const stopping = [...remaining].filter((child) => wave === undefined || wave.includes(child.name));
      for (const child of stopping) remaining.delete(child);
      const gone = await Promise.all(stopping.map((child) => child.stop(graceMs)));
      survivors.push(...stopping.filter((_, index) => !gone[index]).map((child) => child.name));
    }
    return survivors;
  }
}

/** SIGKILL cannot be refused; a group still there after this has members out of our reach. */
const KILL_WAIT_MS = 5_000;

class ChildImpl implements Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<string>;
  readonly #process: ChildProcess;
  readonly #log: WriteStream;
  readonly #lines: string[] = [];
  readonly #listeners = new Set<(line: string) => void>();

  constructor(options: ChildOptions) {
    this.name = options.name;
    this.logFile = options.logFile;
    this.#log = createWriteStream(options.logFile, { flags: "a" });
    this.#log.write(`── ${options.name} started ${new Date().toISOString()} ──\n`);
    this.#process = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (this.#process.pid === undefined)
      throw new Error(`${options.name}: could not start ${options.command}`);
    this.pid = this.#process.pid;
    if (options.onLine) this.#listeners.add(options.onLine);
    for (const stream of [this.#process.stdout, this.#process.stderr]) {
      let partial = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (text: string) => {
        this.#log.write(text);
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) this.#line(line);
      });
    }
    this.exited = new Promise((resolve) => {
      this.#process.once("exit", (code, signal) => {
        this.#log.end();
        resolve(signal === null ? `code ${code}` : `signal ${signal}`);
      });
    });
  }

  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    for (const line of this.#lines) {
      const match = pattern.exec(line);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        outcome();
      };
      const listener = (line: string) => {
        const match = pattern.exec(line);
        if (match) settle(() => resolve(match));
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.#listeners.add(listener);
      this.exited.then((how) =>
        settle(() => reject(new Error(`${this.name} exited (${how}); see ${this.logFile}`))),
      );
    });
  }

  /** Resolves true once no process of the group runs. */
  async stop(graceMs: number): Promise<boolean> {
    signalGroup(this.pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (groupIsRunning(this.pid) && Date.now() < deadline) await sleep(50);
    if (!groupIsRunning(this.pid)) return true;
    signalGroup(this.pid, "SIGKILL");
    const killDeadline = Date.now() + KILL_WAIT_MS;
    while (groupIsRunning(this.pid) && Date.now() < killDeadline) await sleep(50);
    return !groupIsRunning(this.pid);
  }

  #line(line: string): void {
    // Kept until the child is ready, which is what waitForLine looks back on.
    if (this.#lines.length < 200) this.#lines.push(line);
    for (const listener of this.#listeners) listener(line);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Whether any member of the group still runs. Zombies do not count: orphaned grandchildren are reaped by
 * init, which in some containers takes a while or never happens, and a zombie holds nothing.
 */
export function groupIsRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(group) === pgid && state !== "Z") return true;
    } catch {
      // Exited while we looked.
    }
  }
  return false;
}
