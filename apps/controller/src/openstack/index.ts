import type { FastifyInstance } from "fastify";
import type { AuthService } from "../auth/service";
import type { Db } from "../db";
import type { Store } from "../store/store";
import { registerIdentity } from "./keystone";
import { registerNetwork } from "./neutron";
import { SideTable } from "./side";

export interface OpenStackDeps {
  store: Store;
  auth: AuthService;
  db: Db;
}

/**
 * The OpenStack door: Keystone v3 under /identity and Neutron v2.0 under /network, on the
 * controller's own server. Neutron objects are views of netloom's intent (docs/decisions/0006).
 */
export async function registerOpenStack(app: FastifyInstance, deps: OpenStackDeps): Promise<void> {
  const side = new SideTable(deps.db.sql);
  await side.ensure();
  await app.register(async (scope) => {
    // OpenStack clients may send `Content-Type: application/json` with an empty body (DELETE).
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser(
      "application/json",
      { parseAs: "string" },
      (_request, body, done) => {
        const text = typeof body === "string" ? body : body.toString("utf8");
        if (text.trim() === "") {
          done(null, undefined);
          return;
        }
        try {
          done(null, JSON.parse(text));
        } catch {
          const error = new Error("The request body is not valid JSON") as Error & {
            statusCode: number;
          };
          error.statusCode = 400;
          done(error, undefined);
        }
      },
    );
    registerIdentity(scope, deps);
    registerNetwork(scope, { store: deps.store, auth: deps.auth, side });
  });
}
