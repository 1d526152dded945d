/** Warns before apply which nodes will not receive the change now (they are not reporting). */
export function StaleWarning({ nodes }: { nodes: readonly string[] }) {
  if (nodes.length === 0) return null;
  const one = nodes.length === 1;
  return (
    <div className="stale-warning" role="alert">
      <strong>{one ? "1 node" : `${nodes.length} nodes`} will not receive this change now:</strong>{" "}
      {nodes.join(", ")} {one ? "is" : "are"} not reporting. The change is stored and reaches{" "}
      {one ? "it" : "them"} on reconnect; until then the tenant is not converged.
    </div>
  );
}
