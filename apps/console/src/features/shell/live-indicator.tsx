import type { LiveStatus } from "@/features/live/live-updates";

const LABELS: Record<LiveStatus, string> = {
  live: "Live",
  connecting: "Connecting…",
  lost: "Updates lost, reconnecting…",
};

export function LiveIndicator({ status }: { status: LiveStatus }) {
  return (
    <span className={`live-indicator ${status}`} role="status" title="Pages update as the mesh changes">
      {LABELS[status]}
    </span>
  );
}
