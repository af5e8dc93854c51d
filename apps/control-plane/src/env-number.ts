/**
 * A positive number from the environment, or `fallback` when the variable is unset or empty. Anything else
 * stops the start with the variable's name: a typo must not turn a retention into NaN (keep nothing, or all).
 */
export function positiveNumberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${text}"`);
  return value;
}
