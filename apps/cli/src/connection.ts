import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import type { AppRouter } from "@loom/control-plane/router";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";

export const DEFAULT_SERVER = "http://127.0.0.1:5681";

export interface SavedCredentials {
  server?: string;
  token?: string;
}

export type LoomClient = TRPCClient<AppRouter>;

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  return path.join(configHome, "loom", "credentials");
}

export async function readCredentials(env: NodeJS.ProcessEnv = process.env): Promise<SavedCredentials> {
  try {
    return JSON.parse(await readFile(credentialsFile(env), "utf8")) as SavedCredentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new Error(`cannot read ${credentialsFile(env)}: ${(error as Error).message}`);
  }
}

/** Only the owner may read it: the token is as good as a password. */
export async function saveCredentials(credentials: SavedCredentials, env: NodeJS.ProcessEnv = process.env) {
  const file = credentialsFile(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** The server: --server, then LOOM_SERVER, then the one `loomctl login` saved, then the local default. */
export async function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  return flag || env.LOOM_SERVER || (await readCredentials(env)).server || DEFAULT_SERVER;
}

export async function connect(flagServer: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  const server = await resolveServer(flagServer, env);
  const token = env.LOOM_TOKEN || (await readCredentials(env)).token;
  return { server, client: createClient(server, token) };
}

export function createClient(server: string, token: string | undefined): LoomClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${server.replace(/\/+$/, "")}/api/trpc`,
        headers: {
          // Signing in sends no token, and the API asks every such state change to prove it is no browser form.
          "x-loom-csrf": "1",
          ...(token && { authorization: `Bearer ${token}` }),
        },
      }),
    ],
  });
}
