import { randomBytes } from "node:crypto";
import { ConflictError, type Store } from "../store/index.ts";

export const INITIAL_ADMIN = "admin";

/**
 * On a store without users, creates the admin with LOOM_ADMIN_PASSWORD, or with a generated password that is
 * returned so the caller prints it this once (it is never stored or logged anywhere else).
 */
export async function ensureInitialAdmin(
  store: Store,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ created: false } | { created: true; generatedPassword?: string }> {
  if ((await store.users.list()).length > 0) return { created: false };
  const generatedPassword = env.LOOM_ADMIN_PASSWORD ? undefined : randomBytes(18).toString("base64url");
  const password = env.LOOM_ADMIN_PASSWORD ?? generatedPassword ?? "";
  try {
    await store.users.create({ username: INITIAL_ADMIN, password, role: "admin" }, { actor: "system" });
  } catch (error) {
    // A replica starting at the same moment created it.
    if (error instanceof ConflictError) return { created: false };
    throw error;
  }
  return { created: true, generatedPassword };
}
