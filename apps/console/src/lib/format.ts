/** "4 s ago", "3 min ago", "in 2 h": precise enough to judge freshness at a glance. */
export function relativeTime(isoTime: string, now: number): string {
  const deltaMs = Date.parse(isoTime) - now;
  const magnitude = Math.abs(deltaMs);
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ];
  const [size, unit] = units.find(([size]) => magnitude >= size) ?? [1_000, "s"];
  const amount = Math.floor(magnitude / size);
  if (amount === 0) return "just now";
  return deltaMs < 0 ? `${amount} ${unit} ago` : `in ${amount} ${unit}`;
}

/** Snapshot versions are content digests; their first characters tell two apart. */
export function shortVersion(version: string | null): string {
  return version === null ? "none" : version.slice(0, 10);
}

export function localTime(isoTime: string): string {
  return new Date(isoTime).toLocaleString();
}
