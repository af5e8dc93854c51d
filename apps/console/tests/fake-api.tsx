import type { AppRouter } from "@loom/control-plane/router";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { ReactNode } from "react";
import { TRPCProvider } from "@/lib/trpc";

export type FakeHandlers = Record<string, (input: unknown) => unknown>;

/** A tRPC link answering from handlers by procedure path ("services.list"), so components run without a server. */
function fakeLink(handlers: FakeHandlers, calls: { path: string; input: unknown }[]): TRPCLink<AppRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        calls.push({ path: op.path, input: op.input });
        const handler = handlers[op.path];
        Promise.resolve()
          .then(() => {
            if (!handler) throw new Error(`the fake API has no ${op.path}`);
            return handler(op.input);
          })
          .then(
            (data) => {
              observer.next({ result: { type: "data", data } });
              observer.complete();
            },
            (error: unknown) =>
              observer.error(error instanceof TRPCClientError ? error : TRPCClientError.from(error as Error)),
          );
      });
}

/** An error as the control plane sends it (the shape its errorFormatter gives), e.g. CONFLICT. */
export function apiError(code: string, httpStatus: number, message: string): TRPCClientError<AppRouter> {
  return TRPCClientError.from<AppRouter>({
    error: { message, code: -32000, data: { code, httpStatus } },
  } as never);
}

export function renderWithApi(handlers: FakeHandlers) {
  const calls: { path: string; input: unknown }[] = [];
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const client = createTRPCClient<AppRouter>({ links: [fakeLink(handlers, calls)] });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={client} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
  return { wrapper, calls };
}
