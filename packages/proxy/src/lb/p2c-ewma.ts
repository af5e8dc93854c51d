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
  startWithPeersEstimate(candidates, now);
  const count = candidates.length;
  if (count <= 1) return candidates[0];
  const first = Math.floor(random() * count);
  let second = Math.floor(random() * (count - 1));
  if (second >= first) second += 1;
  const a = candidates[first] as EndpointState;
  const b = candidates[second] as EndpointState;
  return a.cost(now) <= b.cost(now) ? a : b;
}

/** Endpoints new or back in the pool warm up on the mean estimate of their settled peers. */
function startWithPeersEstimate(candidates: readonly EndpointState[], now: number): void {
  let sum = 0;
  let settled = 0;
  for (const endpoint of candidates) {
    if (endpoint.hasEstimate && !endpoint.isWarmingUp(now)) {
      // The faded estimate, as cost() reads it: with one settled peer a warming endpoint then ties with it
      // exactly (and P2C splits evenly), where a hair above it would lose every comparison.
      sum += endpoint.estimate(now);
      settled += 1;
    }
  }
  if (settled === 0 || settled === candidates.length) return;
  const peersLatencyMs = sum / settled;
  for (const endpoint of candidates) {
    if (!endpoint.hasEstimate) endpoint.warmUpFrom(peersLatencyMs, now);
    else if (endpoint.isWarmingUp(now)) endpoint.borrow(peersLatencyMs);
  }
}
