import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

/** Refreshed every few seconds: sessions come and go without a fabric change. */
const REFRESH_MS = 5_000;

function uptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min` : `${seconds} s`;
}

/**
 * Issue 14: the controller's BGP speaker for operators: each peer's session with its uptime and
 * EVPN prefix counts, then the routes exported and learned. Nothing when no `bgp` is configured.
 */
export function BgpPeers() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.bgp.status.queryOptions(), refetchInterval: REFRESH_MS });
  const bgp = status.data;
  if (status.error) {
    return (
      <div className="page-error" role="alert">
        BGP status: {status.error.message}
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
              <td>{peer.state === "up" ? uptime(peer.uptimeSeconds) : "-"}</td>
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
