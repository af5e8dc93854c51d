import type { GraphEdge } from "./use-service-graph";

/** Drawn, not an emoji: browsers without an emoji font (headless Chromium on Debian) show emojis as boxes. */
function LockIcon({ open }: { open: boolean }) {
  return (
    <svg className="lock-icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor" />
      <path
        d={open ? "M5 7V4.5a3 3 0 0 1 5.8-1" : "M5 7V4.5a3 3 0 0 1 6 0V7"}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
      />
    </svg>
  );
}

const LABELS = { full: "mTLS", partial: "partly plaintext", none: "plaintext" };

export function MtlsMark({ mtls }: { mtls: GraphEdge["mtls"] }) {
  return (
    <span className={`mtls-mark ${mtls}`}>
      {mtls !== "none" && <LockIcon open={mtls === "partial"} />} {LABELS[mtls]}
    </span>
  );
}
