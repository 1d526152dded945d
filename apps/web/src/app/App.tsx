import { QueryClientProvider, useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useRef, useState } from "react";
import { failureOf } from "../errors";
import { makeQueryClient, makeTrpcClient, TRPCProvider, useTRPC, useTRPCClient } from "../trpc";
import { LiveRegion } from "../ui/announce";
import { BrandMark } from "./BrandMark";
import { Home } from "./Home";
import { Login } from "./Login";
import { navigate, useRoute } from "./route";
import type { Me } from "./types";

const TenantWorkspace = lazy(() =>
  import("./TenantWorkspace").then((m) => ({ default: m.TenantWorkspace })),
);
const OperatorConsole = lazy(() =>
  import("../operator/OperatorConsole").then((m) => ({ default: m.OperatorConsole })),
);
const BenchPage = lazy(() => import("../bench/BenchPage").then((m) => ({ default: m.BenchPage })));

export function App() {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Root />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

function Root() {
  const route = useRoute();
  // The benchmark page renders a generated document and needs no session.
  if (route.view === "bench") {
    return (
      <Suspense fallback={<Loading />}>
        <BenchPage params={route.params} />
      </Suspense>
    );
  }
  return <Authenticated />;
}

function Authenticated() {
  const trpc = useTRPC();
  const me = useQuery({ ...trpc.auth.me.queryOptions(), retry: false });
  const route = useRoute();
  if (me.isPending) return <Loading />;
  if (me.error) {
    const failure = failureOf(me.error);
    if (failure.code === "UNAUTHENTICATED") return <Login />;
    return (
      <div className="page-error" role="alert">
        Cannot reach the controller: {failure.message}
      </div>
    );
  }
  const user: Me = me.data;
  return (
    <div className="app">
      <FocusOnNavigation view={route.view === "tenant" ? route.tenant : route.view} />
      <TopBar me={user} />
      <Suspense fallback={<Loading />}>
        {route.view === "tenant" ? (
          <TenantWorkspace key={route.tenant} tenant={route.tenant} me={user} />
        ) : route.view === "operator" ? (
          <OperatorConsole me={user} tab={route.tab} />
        ) : route.view === "operator-tenant" ? (
          <TenantWorkspace
            key={`op:${route.tenant}`}
            tenant={route.tenant}
            me={user}
            forceReadOnly
          />
        ) : (
          <Home me={user} />
        )}
      </Suspense>
      <LiveRegion />
    </div>
  );
}

/**
 * After a navigation, focus moves to the new page's heading (never left on `<body>`), so the
 * keyboard and a screen reader start where the page starts. The page may still be loading: the
 * heading is looked for on a few frames.
 */
function FocusOnNavigation({ view }: { view: string }) {
  const first = useRef(true);
  useEffect(() => {
    const initial = first.current;
    first.current = false;
    // On the first view only when nothing has focus (just signed in): never steal it on load.
    if (initial && document.activeElement && document.activeElement !== document.body) return;
    void view; // runs again for every new view
    let frames = 0;
    let handle = 0;
    const seek = () => {
      const heading = document.querySelector<HTMLElement>("main h1");
      if (heading) {
        if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
        heading.focus();
        return;
      }
      // The page may still be loading (lazy code, the tenant's document): up to ~10 s.
      if (++frames < 600) handle = requestAnimationFrame(seek);
    };
    handle = requestAnimationFrame(seek);
    return () => cancelAnimationFrame(handle);
  }, [view]);
  return null;
}

function TopBar({ me }: { me: Me }) {
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const route = useRoute();
  const cloud = me.globalRole === "cloud_admin" || me.globalRole === "cloud_viewer";
  return (
    <header className="topbar">
      <a className="brand" href="#/" aria-label="netloom home">
        <BrandMark size={18} />
        netloom
      </a>
      <nav aria-label="Main">
        <a href="#/" aria-current={route.view === "home" ? "page" : undefined}>
          Tenants
        </a>
        {cloud ? (
          <a href="#/operator" aria-current={route.view === "operator" ? "page" : undefined}>
            Operator
          </a>
        ) : null}
      </nav>
      <div className="grow" />
      <span
        className="who"
        title={me.globalRole === "none" ? "tenant user" : me.globalRole.replace("_", " ")}
      >
        {me.email}
        {cloud ? <span className="tag">{me.globalRole.replace("_", " ")}</span> : null}
      </span>
      <button
        type="button"
        onClick={async () => {
          // The reload below signs out this tab either way; a failed call is still reported.
          await client.auth.logout
            .mutate()
            .catch((error: unknown) =>
              console.warn(`logout call failed: ${failureOf(error).message}`),
            );
          queryClient.clear();
          navigate("#/");
          window.location.reload();
        }}
      >
        Log out
      </button>
    </header>
  );
}

export function Loading() {
  return (
    <div className="loading" role="status">
      Loading…
    </div>
  );
}
