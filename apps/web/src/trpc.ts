import type { AppRouter } from "@netloom/controller/types";
import { QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";

/**
 * One tRPC client for the whole portal. Queries and mutations are batched over HTTP; live status
 * arrives over SSE subscriptions. The login session is an HTTP-only cookie the controller sets,
 * so both transports (including EventSource, which cannot send headers) are authenticated.
 */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 5_000, refetchOnWindowFocus: false, retry: 1 },
      mutations: { retry: false },
    },
  });
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: "/trpc", eventSourceOptions: { withCredentials: true } }),
        false: httpBatchLink({
          url: "/trpc",
          fetch: (url, init) => fetch(url, { ...init, credentials: "same-origin" }),
        }),
      }),
    ],
  });
}

export type TrpcClient = ReturnType<typeof makeTrpcClient>;
