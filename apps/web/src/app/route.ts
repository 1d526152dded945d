import { useSyncExternalStore } from "react";

/**
 * Hash routes, so the controller serves one index.html for every view:
 * `#/` (home: tenant picker), `#/t/<tenant>` (workspace), `#/operator[/<tab>]`,
 * `#/operator/tenant/<tenant>` (read-only topology), `#/bench?nodes=N` (canvas benchmark).
 */
export type Route =
  | { view: "home" }
  | { view: "tenant"; tenant: string }
  | { view: "operator"; tab: string }
  | { view: "operator-tenant"; tenant: string }
  | { view: "bench"; params: URLSearchParams };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "t" && parts[1]) return { view: "tenant", tenant: parts[1] };
  if (parts[0] === "operator" && parts[1] === "tenant" && parts[2]) {
    return { view: "operator-tenant", tenant: parts[2] };
  }
  if (parts[0] === "operator") return { view: "operator", tab: parts[1] ?? "tenants" };
  if (parts[0] === "bench") return { view: "bench", params: new URLSearchParams(query) };
  return { view: "home" };
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}

function subscribe(listener: () => void) {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(
    subscribe,
    () => window.location.hash,
    () => "",
  );
  return parseRoute(hash);
}
