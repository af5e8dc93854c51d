"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "@/features/auth/sign-out-button";
import { useSession } from "@/features/auth/use-session";
import { useLiveUpdates } from "@/features/live/live-updates";
import { LiveIndicator } from "./live-indicator";
import { NavLinks } from "./nav-links";

export function AppShell({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const live = useLiveUpdates();
  return (
    <div className="shell">
      <aside className="sidebar">
        <Link href="/" className="brand">
          Loom
        </Link>
        <NavLinks />
      </aside>
      <div className="main">
        <header className="topbar">
          <LiveIndicator status={live} />
          {user && (
            <span className="user" data-testid="current-user">
              {user.name} <span className={`badge role-${user.role}`}>{user.role}</span>
            </span>
          )}
          <SignOutButton />
        </header>
        <main className="content">{children}</main>
      </div>
    </div>
  );
}
