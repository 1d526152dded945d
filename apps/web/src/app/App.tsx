import { QueryClientProvider, useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { failureOf } from "../errors";
import { makeQueryClient, makeTrpcClient, TRPCProvider, useTRPC, useTRPCClient } from "../trpc";
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
    if (failure.code === "UNAUTHENTICATED" || failure.code === "UNAUTHORIZED") return <Login />;
    return (
      <div className="page-error" role="alert">
        Cannot reach the controller: {failure.message}
      </div>
    );
  }
  const user: Me = me.data;
  return (
    <div className="app">
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
    </div>
  );
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
          await client.auth.logout.mutate().catch(() => undefined);
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
