/**
 * The environment that switches every Loom component to its short test-mode timers (values live in
 * packages/spec). startProcess merges it into each child's environment unless the caller overrides it.
 */
export function testModeEnv(): Record<string, string> {
  return { LOOM_TEST_MODE: "1" };
}
