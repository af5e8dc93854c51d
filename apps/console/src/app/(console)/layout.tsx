import type { ReactNode } from "react";
import { SessionGate } from "@/features/auth/session-gate";
import { AppShell } from "@/features/shell/app-shell";

export default function ConsoleLayout({ children }: { children: ReactNode }) {
  return (
    <SessionGate>
      <AppShell>{children}</AppShell>
    </SessionGate>
  );
}
