import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ApiClient } from "./control-plane.ts";
import { GATEWAY_SERVICE, SHOP } from "./topology.ts";

/** LOOM_ADMIN_PASSWORD, or one generated on the first run and kept (mode 600) for the runs after it. */
export async function adminPassword(
  dataDir: string,
  joining: boolean,
): Promise<{ password: string; file?: string }> {
  const fromEnv = process.env.LOOM_ADMIN_PASSWORD;
  if (fromEnv) return { password: fromEnv };
  if (joining)
    throw new Error("joining a running control plane needs its admin's password in LOOM_ADMIN_PASSWORD");
  const file = path.join(dataDir, "admin-password");
  if (existsSync(file)) return { password: (await readFile(file, "utf8")).trim(), file };
  const password = randomBytes(12).toString("base64url");
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return { password, file };
}

/** One dataplane token per service, kept in the data dir so a restarted demo reuses it. */
export async function dataplaneTokens(admin: ApiClient, dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const service of [...SHOP.map((entry) => entry.name), GATEWAY_SERVICE]) {
    const file = path.join(dir, `${service}.token`);
    if (!existsSync(file)) {
      const { token } = await admin.tokens.dataplane.create.mutate({ service });
      await writeFile(file, token, { mode: 0o600 });
    }
    files[service] = file;
  }
  return files;
}
