import type { EndpointState } from "./endpoint.ts";

const scratch: EndpointState[] = [];

/**
 * Power of two choices over EWMA latency × in-flight: two random available endpoints, the cheaper wins.
 * When none is available (all ejected or failing checks) it picks among all of them rather than fail
 * every request (Envoy's panic mode).
 */
export function pickEndpoint(
  endpoints: readonly EndpointState[],
  now: number,
  random: () => number = Math.random,
): EndpointState | undefined {
  scratch.length = 0;
  for (const endpoint of endpoints) if (endpoint.isAvailable(now)) scratch.push(endpoint);
  const candidates = scratch.length > 0 ? scratch : endpoints;
  const count = candidates.length;
  if (count <= 1) return candidates[0];
  const first = Math.floor(random() * count);
  let second = Math.floor(random() * (count - 1));
  if (second >= first) second += 1;
  const a = candidates[first] as EndpointState;
  const b = candidates[second] as EndpointState;
  return a.cost(now) <= b.cost(now) ? a : b;
}
