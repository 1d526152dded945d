import type { RouterOutputs } from "@netloom/controller/types";
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "../trpc";

type BgpStatus = RouterOutputs["bgp"]["status"];

function uptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min` : `${seconds} s`;
}

/**
 * The speaker's status, live: the first answer of `bgp.status`, then each push of
 * `bgp.onStatus` (a session going up or down, prefix counts, routes). Uptimes tick here from
 * the moment the status arrived, so the controller pushes only real changes.
 */
function useBgpStatus() {
  const trpc = useTRPC();
  const initial = useQuery(trpc.bgp.status.queryOptions());
  const live = useSubscription(trpc.bgp.onStatus.subscriptionOptions(undefined));
  const status: BgpStatus | undefined = (live.data as BgpStatus | undefined) ?? initial.data;
  const [receivedAt, setReceivedAt] = useState(() => Date.now());
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status) setReceivedAt(Date.now());
  }, [status]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const elapsedSeconds = Math.max(0, Math.floor((now - receivedAt) / 1000));
  return { status, error: live.error ?? initial.error, elapsedSeconds };
}

/**
 * Issue 14: the controller's BGP speaker for operators: each peer's session with its uptime and
 * EVPN prefix counts, then the routes exported and learned. Nothing when no `bgp` is configured.
 */
export function BgpPeers() {
  const { status: bgp, error, elapsedSeconds } = useBgpStatus();
  if (error) {
    return (
      <div className="page-error" role="alert">
        BGP status: {error.message}
      </div>
    );
  }
  if (!bgp?.configured) return null;
  return (
    <section aria-labelledby="bgp-heading">
      <h2 id="bgp-heading">BGP peers</h2>
      <p role="status">
        AS {bgp.localAs}, router id <code>{bgp.routerId}</code>: speaker{" "}
        {bgp.running ? "running" : "not running"}
        {bgp.starts > 1 ? ` (restarted ${bgp.starts - 1} times)` : ""}
      </p>
      <table className="data-table" aria-label="BGP peers">
        <thead>
          <tr>
            <th scope="col">peer</th>
            <th scope="col">address</th>
            <th scope="col">AS</th>
            <th scope="col">state</th>
            <th scope="col">uptime</th>
            <th scope="col">received</th>
            <th scope="col">advertised</th>
          </tr>
        </thead>
        <tbody>
          {bgp.peers.map((peer) => (
            <tr key={peer.name}>
              <th scope="row">{peer.name}</th>
              <td>
                <code>{peer.address}</code>
              </td>
              <td>{peer.as}</td>
              <td>{peer.state}</td>
              <td>{peer.state === "up" ? uptime(peer.uptimeSeconds + elapsedSeconds) : "-"}</td>
              <td>{peer.prefixesReceived}</td>
              <td>{peer.prefixesAdvertised}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="data-table" aria-label="EVPN routes">
        <thead>
          <tr>
            <th scope="col">route</th>
            <th scope="col">prefix</th>
            <th scope="col">next hop</th>
            <th scope="col">VNI</th>
            <th scope="col">route target</th>
            <th scope="col">peer</th>
          </tr>
        </thead>
        <tbody>
          {bgp.exported.map((route) => (
            <tr key={`x ${route.prefix} ${route.nexthop}`}>
              <td>exported</td>
              <td>
                <code>{route.prefix}</code>
              </td>
              <td>
                <code>{route.nexthop}</code>
              </td>
              <td>{route.vni}</td>
              <td>{route.routeTarget}</td>
              <td>-</td>
            </tr>
          ))}
          {bgp.learned.map((route) => (
            <tr key={`l ${route.prefix} ${route.nexthop} ${route.peer}`}>
              <td>learned</td>
              <td>
                <code>{route.prefix}</code>
              </td>
              <td>
                <code>{route.nexthop}</code>
              </td>
              <td>{route.vni}</td>
              <td>{route.routeTarget}</td>
              <td>{route.peer}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
