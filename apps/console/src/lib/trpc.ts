import type { AppRouter } from "@loom/control-plane/router";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { createTRPCContext } from "@trpc/tanstack-react-query";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

/** Same origin: src/app/api/trpc streams every call through to the control plane. */
const API_PATH = "/api/trpc";

/** The control plane refuses state changes over a session cookie without it (see its CSRF rule). */
const CSRF_HEADERS = { "x-loom-csrf": "1" };

export function createLoomClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        // EventSource sends the session cookie by itself; subscriptions change nothing, so need no CSRF header.
        true: httpSubscriptionLink({ url: API_PATH }),
        // Not a streaming batch link: auth.login sets its cookie as a response header.
        false: httpBatchLink({ url: API_PATH, headers: CSRF_HEADERS }),
      }),
    ],
  });
}
