"use client";

import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useSession } from "./use-session";

/** The console's pages need a signed-in user; anyone else is sent to the sign-in page and back afterwards. */
export function SessionGate({ children }: { children: ReactNode }) {
  const { user, isLoading, error } = useSession();
  const router = useRouter();
  const pathname = usePathname();
  const signedOut = !isLoading && error === null && user === null;

  useEffect(() => {
    if (signedOut) router.replace(`/sign-in?next=${encodeURIComponent(pathname)}`);
  }, [signedOut, router, pathname]);

  if (error !== null) return <ApiErrorMessage error={error} action="check who is signed in" />;
  if (user === undefined || user === null) return <p className="muted centered">Loading…</p>;
  return children;
}
