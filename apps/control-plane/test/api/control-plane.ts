import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ProcessHandle, startProcess, waitForLine } from "@loom/test-harness";
import {
  createTRPCClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
} from "@trpc/client";
import { EventSource } from "eventsource";
import type { AppRouter } from "../../src/trpc/router.ts";

export const ADMIN_PASSWORD = "admin-password-for-tests";
const BIN = path.resolve(import.meta.dirname, "../../bin/loom-cp.js");

export interface RunningControlPlane {
  process: ProcessHandle;
  apiUrl: string;
  dataplaneUrl: string;
  dataDir: string;
}

/** A real loom-cp on free ports with its own data directory (and SQLite store unless DATABASE_URL is given). */
export async function startControlPlane(
  options: { env?: Record<string, string | undefined>; dataDir?: string } = {},
): Promise<RunningControlPlane> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), "loom-cp-")));
  const handle = await startProcess({
    name: "loom-cp",
    command: process.execPath,
    args: [BIN, "--port", "0", "--dp-port", "0", "--data-dir", dataDir],
    env: { LOOM_ADMIN_PASSWORD: ADMIN_PASSWORD, DATABASE_URL: undefined, ...options.env },
    ready: { line: /^loom-cp ready: / },
  });
  const [, apiUrl = "", dataplaneUrl = ""] = await waitForLine(
    handle,
    /^loom-cp ready: api (\S+) dataplane (\S+)/,
  );
  return { process: handle, apiUrl, dataplaneUrl, dataDir };
}

export interface Credentials {
  token?: string;
  cookie?: string;
  /** Sent with every call; by default the CSRF header the console sends. */
  headers?: Record<string, string>;
  /** For queries and mutations, e.g. to record responses. */
  fetch?: typeof fetch;
}

export type ApiClient = TRPCClient<AppRouter>;

/** A tRPC client over real HTTP, as loomctl and the console use it (subscriptions over SSE). */
export function apiClient(apiUrl: string, credentials: Credentials = {}): ApiClient {
  const headers = {
    "x-loom-csrf": "1",
    ...(credentials.token && { authorization: `Bearer ${credentials.token}` }),
    ...(credentials.cookie && { cookie: credentials.cookie }),
    ...credentials.headers,
  };
  const url = `${apiUrl}/api/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...headers } }),
          },
        }),
        false: httpLink({ url, headers, fetch: credentials.fetch }),
      }),
    ],
  });
}

/** An API token of the first admin, as `loomctl login` gets one. */
export async function adminToken(apiUrl: string): Promise<string> {
  const { token } = await apiClient(apiUrl).auth.createCliToken.mutate({
    username: "admin",
    password: ADMIN_PASSWORD,
  });
  return token;
}

/** A client for a new user of `role`, signed in through an API token. */
export async function clientWithRole(
  apiUrl: string,
  admin: ApiClient,
  role: "viewer" | "editor" | "admin",
): Promise<ApiClient> {
  const { token } = await admin.tokens.api.create.mutate({ name: `${role}-${Date.now()}`, role });
  return apiClient(apiUrl, { token });
}

/** The tRPC error code (CONFLICT, BAD_REQUEST, …) a call failed with, and its message. */
export async function failure(
  call: Promise<unknown>,
): Promise<{ code: string; message: string; data: unknown }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { code: string } | undefined;
      return { code: data?.code ?? "UNKNOWN", message: error.message, data };
    }
    throw error;
  }
  throw new Error("the call succeeded, but a failure was expected");
}
