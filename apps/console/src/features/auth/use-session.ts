import { useQuery } from "@tanstack/react-query";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

export type SessionUser = NonNullable<RouterOutputs["auth"]["me"]>;

/** Who is signed in: `user` is null when nobody is, undefined while asking. */
export function useSession() {
  const trpc = useTRPC();
  const me = useQuery({ ...trpc.auth.me.queryOptions(), staleTime: 60_000 });
  return { user: me.data, isLoading: me.isLoading, error: me.error };
}

/** Editors and admins change things; viewers only look. */
export function useCanWrite(): boolean {
  const { user } = useSession();
  return user?.role === "editor" || user?.role === "admin";
}
