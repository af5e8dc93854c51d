import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";

/** A response read off a raw connection. */
export interface RawResponse {
  status: number;
  body: string;
}

/**
 * Reads the HTTP/1.1 responses in `text`, in order, framed by Content-Length or chunked encoding; stops at the
 * first incomplete one.
 */
export function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd === -1) break;
    const head = text.slice(at, headEnd);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
    if (status === undefined) break;
    let bodyStart = headEnd + 4;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    let body = "";
    if (length !== undefined) {
      body = text.slice(bodyStart, bodyStart + Number(length));
      if (body.length < Number(length)) break;
      at = bodyStart + Number(length);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      for (;;) {
        const lineEnd = text.indexOf("\r\n", bodyStart);
        if (lineEnd === -1) return responses;
        const size = Number.parseInt(text.slice(bodyStart, lineEnd), 16);
        if (size === 0) {
          bodyStart = text.indexOf("\r\n\r\n", lineEnd - 2) + 4;
          break;
        }
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        bodyStart = lineEnd + 2 + size + 2;
      }
      at = bodyStart;
    } else at = bodyStart;
    responses.push({ status: Number(status), body });
  }
  return responses;
}

/**
 * Writes `bytes` on a fresh connection and reads until the peer closes, or `quietMs` pass without a byte, or
 * `timeoutMs` in all.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  { quietMs = 1_500, timeoutMs = 10_000 } = {},
): Promise<{ text: string; closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    let quiet: NodeJS.Timeout | undefined;
    const finish = (closedByPeer: boolean) => {
      clearTimeout(quiet);
      clearTimeout(overall);
      socket.destroy();
      resolve({ text, closedByPeer });
    };
    const overall = setTimeout(() => finish(false), timeoutMs);
    const rearm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), quietMs);
    };
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      rearm();
    });
    socket.on("error", () => {});
    socket.on("close", () => finish(true));
    socket.write(bytes);
    rearm();
  });
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kilobytes) * 1024;
}

export interface ControlResult {
  sent: number;
  failed: number;
  errors: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * A well-behaved client at a steady rate on keep-alive connections, running until stopped: what "other clients
 * unaffected" is measured with.
 */
export function startControlClient(url: string, rps: number): { stop(): Promise<ControlResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const pending = new Set<Promise<void>>();
  let sent = 0;
  const fail = (reason: string) => {
    errors[reason] = (errors[reason] ?? 0) + 1;
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      sent++;
      const request = http.get(url, { agent, timeout: 5_000 }, (response) => {
        response.resume();
        response.on("end", () => {
          if (response.statusCode === 200) latencies.push(performance.now() - started);
          else fail(`status ${response.statusCode}`);
          resolve();
        });
      });
      request.on("timeout", () => request.destroy(new Error("TIMEOUT")));
      request.on("error", (error: NodeJS.ErrnoException) => {
        fail(error.code ?? error.message);
        resolve();
      });
    });
  const timer = setInterval(() => {
    const request = one();
    pending.add(request);
    void request.then(() => pending.delete(request));
  }, 1000 / rps);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      const sorted = latencies.sort((a, b) => a - b);
      const at = (share: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
      const failed = Object.values(errors).reduce((sum, n) => sum + n, 0);
      return {
        sent,
        failed,
        errors,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      };
    },
  };
}
