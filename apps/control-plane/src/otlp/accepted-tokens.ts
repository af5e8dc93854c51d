/**
 * Remembers tokens `check` accepted for `ttlMs`, so an exporter sending a batch every few hundred milliseconds
 * (or a flood of them) costs the store one lookup per token per ttl rather than one per request; the price
 * is that a revoked token may still send spans for up to `ttlMs`. Refusals are not remembered, so a token
 * issued a moment ago works at once and garbage cannot fill the map.
 */
export function rememberAcceptedTokens(
  check: (token: string) => Promise<boolean>,
  ttlMs: number,
  now: () => number = Date.now,
): (token: string) => Promise<boolean> {
  const acceptedUntil = new Map<string, number>();
  return async (token) => {
    const until = acceptedUntil.get(token);
    if (until !== undefined && until > now()) return true;
    acceptedUntil.delete(token);
    const accepted = await check(token);
    if (accepted) acceptedUntil.set(token, now() + ttlMs);
    return accepted;
  };
}
