"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/lib/trpc";

export function SignOutButton() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: () => {
        queryClient.clear();
        router.replace("/sign-in");
      },
    }),
  );
  return (
    <button type="button" className="link" onClick={() => logout.mutate()} disabled={logout.isPending}>
      Sign out
    </button>
  );
}
