import type { AppRouter } from "@netloom/controller";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { Connection } from "./connection";

/** A typed tRPC client of the controller, authenticated with the connection's token. */
export function createClient(connection: Connection) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${connection.server}/trpc`,
        headers: () => (connection.token ? { authorization: `Bearer ${connection.token}` } : {}),
      }),
    ],
  });
}

export type ControllerClient = ReturnType<typeof createClient>;
