"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { ApiErrorMessage } from "@/features/errors/api-error-message";
import { useTRPC } from "@/lib/trpc";

const SAME_ORIGIN = "http://console.invalid";

/**
 * Only paths inside the console: `next` comes from the URL, so it must not send anyone elsewhere. Resolved as
 * the browser will resolve it: URLs read a backslash as "/" and drop tabs, so "/\evil.example" leaves too.
 */
function safeDestination(next: string | null): string {
  if (!next?.startsWith("/")) return "/";
  const url = new URL(next, SAME_ORIGIN);
  return url.origin === SAME_ORIGIN ? `${url.pathname}${url.search}${url.hash}` : "/";
}

export function SignInForm({ next }: { next: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async () => {
        // Everything cached so far was read as nobody (or as someone else).
        queryClient.clear();
        router.replace(safeDestination(next));
      },
    }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    login.mutate({ username, password });
  }

  return (
    <form className="card sign-in" onSubmit={submit} aria-label="Sign in">
      <h1>Sign in to Loom</h1>
      <label>
        Username
        <input
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </label>
      {login.error && <ApiErrorMessage error={login.error} action="sign in" />}
      <button type="submit" className="primary" disabled={login.isPending}>
        {login.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
