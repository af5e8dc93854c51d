import type { ClientRequest } from "node:http";
import https from "node:https";

/** A non-2xx answer from the control plane, with the `{ error }` text it sent. */
export class ControlPlaneError extends Error {
  override name = "ControlPlaneError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Bounds what we buffer of a JSON answer: a misbehaving server must not exhaust the proxy's memory. */
const MAX_RESPONSE_BYTES = 1 << 20;

export interface ControlPlaneConnection {
  baseUrl: URL;
  token: string;
  agent: https.Agent;
}

export function connectionTo(url: string, token: string, caPem: string | undefined): ControlPlaneConnection {
  const baseUrl = new URL(url);
  // The token is a bearer secret: it must never cross the network in the clear.
  if (baseUrl.protocol !== "https:") throw new Error(`the control plane URL must be https, got ${url}`);
  return { baseUrl, token, agent: new https.Agent({ keepAlive: true, ca: caPem }) };
}

export function openRequest(
  connection: ControlPlaneConnection,
  method: "GET" | "POST",
  path: string,
  headers: Record<string, string> = {},
): ClientRequest {
  return https.request(new URL(path, connection.baseUrl), {
    method,
    agent: connection.agent,
    headers: { authorization: `Bearer ${connection.token}`, ...headers },
  });
}

/** POSTs `body` as JSON and resolves with the parsed JSON answer; rejects with ControlPlaneError on 4xx/5xx. */
export function postJson(connection: ControlPlaneConnection, path: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = openRequest(connection, "POST", path, { "content-type": "application/json" });
    request.setTimeout(30_000, () => request.destroy(new Error(`no answer to POST ${path} within 30 s`)));
    request.on("error", reject);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) request.destroy(new Error(`answer to POST ${path} is too large`));
        else chunks.push(chunk);
      });
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = response.statusCode ?? 0;
        try {
          const parsed = text === "" ? undefined : (JSON.parse(text) as unknown);
          if (status >= 200 && status < 300) resolve(parsed);
          else reject(new ControlPlaneError(status, `POST ${path}: ${status} ${errorText(parsed, text)}`));
        } catch {
          reject(new ControlPlaneError(status, `POST ${path}: ${status}, not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    request.end(JSON.stringify(body));
  });
}

export function errorText(parsed: unknown, fallback: string): string {
  const error = (parsed as { error?: unknown } | undefined)?.error;
  return typeof error === "string" ? error : fallback.slice(0, 200);
}
