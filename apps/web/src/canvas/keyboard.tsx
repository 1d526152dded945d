import type { IntentFile } from "@netloom/model";
import { memo, useEffect, useRef } from "react";
import type { Graph } from "./graph";
import type { Position } from "./layered";

/**
 * Keyboard use of the canvas (issue 13): the canvas is one Tab stop (a roving tabindex: only
 * the active object is focusable), arrow keys move between objects, Alt+arrow moves the
 * active node, Enter or Space selects it exactly as a click does, and the object's menu
 * (context-menu key, Shift+F10 or M) offers every drag gesture as a command.
 */

export type Direction = "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown";

export function isDirection(key: string): key is Direction {
  return key === "ArrowLeft" || key === "ArrowRight" || key === "ArrowUp" || key === "ArrowDown";
}

/** Where each navigable object is: node centres, and policy edges at their middle. */
export function navigationPoints(
  graph: Graph,
  positions: Record<string, Position>,
  sizes: (id: string) => { width: number; height: number },
): Map<string, Position> {
  const points = new Map<string, Position>();
  for (const node of graph.nodes) {
    const at = positions[node.id] ?? node.position;
    const size = sizes(node.id);
    points.set(node.id, { x: at.x + size.width / 2, y: at.y + size.height / 2 });
  }
  for (const edge of graph.edges) {
    if (edge.type !== "policy") continue;
    const a = points.get(edge.source);
    const b = points.get(edge.target);
    if (a && b) points.set(edge.id, { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
  }
  return points;
}

/**
 * The object to move to from `from` in `direction`: the nearest one within a 60° cone either
 * side of the arrow, distance along the arrow counting once and across it twice.
 */
export function nextInDirection(
  points: Map<string, Position>,
  from: string,
  direction: Direction,
): string | null {
  const origin = points.get(from);
  if (!origin) return null;
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const [id, at] of points) {
    if (id === from) continue;
    const dx = at.x - origin.x;
    const dy = at.y - origin.y;
    const along =
      direction === "ArrowRight"
        ? dx
        : direction === "ArrowLeft"
          ? -dx
          : direction === "ArrowDown"
            ? dy
            : -dy;
    const across =
      direction === "ArrowRight" || direction === "ArrowLeft" ? Math.abs(dy) : Math.abs(dx);
    if (along <= 0 || across > along * 1.8) continue;
    const score = along + 2 * across;
    if (score < bestScore) {
      bestScore = score;
      best = id;
    }
  }
  return best;
}

/** One command of an object's menu. */
export interface MenuAction {
  label: string;
  run: () => void;
}

export interface MenuIntents {
  connect?: (source: string, target: string) => void;
  attachPolicy?: (policy: string, network: string) => void;
  chain?: (item: "firewall" | "load-balancer" | "nat", policy: string) => void;
  inspect: (id: string) => void;
  /** Opens the trace panel with this workload as the flow's source. */
  traceFrom?: (workload: string) => void;
}

/** The commands an object's menu offers: every drag gesture of the canvas, by keyboard. */
export function menuActions(
  id: string,
  doc: IntentFile,
  intents: MenuIntents,
  readOnly: boolean,
): MenuAction[] {
  const actions: MenuAction[] = [{ label: "Inspect", run: () => intents.inspect(id) }];
  const colon = id.indexOf(":");
  const prefix = id.slice(0, colon);
  const name = id.slice(colon + 1);
  // Tracing reads, never writes: offered on read-only canvases too.
  const traceFrom = intents.traceFrom;
  if (prefix === "wl" && traceFrom) {
    actions.push({ label: "Trace from here", run: () => traceFrom(name) });
  }
  if (readOnly) return actions;
  const networks = (doc.networks ?? []).map((n) => n.name as string);
  if (prefix === "net") {
    for (const other of networks) {
      if (other === name) continue;
      const connect = intents.connect;
      if (connect) {
        actions.push({
          label: `Connect ${name} to ${other} with a policy…`,
          run: () => connect(id, `net:${other}`),
        });
      }
    }
    for (const policy of doc.policies ?? []) {
      const attach = intents.attachPolicy;
      if (attach && !policy.attach.some((n) => n === name)) {
        actions.push({
          label: `Attach policy ${policy.name} to ${name}`,
          run: () => attach(policy.name, name),
        });
      }
    }
  } else if (prefix === "pol") {
    const policy = name.split(":")[0] ?? name;
    const chain = intents.chain;
    if (chain) {
      for (const [item, label] of [
        ["firewall", "a firewall"],
        ["load-balancer", "a load balancer"],
        ["nat", "a NAT"],
      ] as const) {
        actions.push({ label: `Chain ${label} into ${policy}…`, run: () => chain(item, policy) });
      }
    }
  } else if (prefix === "wl" || prefix === "rtr" || prefix === "svc") {
    const connect = intents.connect;
    if (connect) {
      for (const network of networks) {
        actions.push({
          label: `Attach ${name} to network ${network}`,
          run: () => connect(id, `net:${network}`),
        });
      }
    }
  }
  return actions;
}

/** The menu of one object; focus starts on its first item and returns to the object on close. */
export const ObjectMenu = memo(function ObjectMenu({
  title,
  actions,
  onClose,
}: {
  title: string;
  actions: MenuAction[];
  onClose: (ran: boolean) => void;
}) {
  const list = useRef<HTMLDivElement | null>(null);
  useEffect(() => {
    list.current?.querySelector<HTMLButtonElement>("[role=menuitem]")?.focus();
  }, []);
  const onKeyDown = (event: React.KeyboardEvent) => {
    const items = [...(list.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]") ?? [])];
    const index = items.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      event.stopPropagation();
      onClose(false);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      event.stopPropagation();
      const step = event.key === "ArrowDown" ? 1 : -1;
      items[(index + step + items.length) % items.length]?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      (event.key === "Home" ? items[0] : items[items.length - 1])?.focus();
    }
  };
  return (
    <div
      ref={list}
      className="nl-object-menu nodrag nopan nowheel"
      role="menu"
      aria-label={title}
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      <div className="nl-object-menu-title" aria-hidden="true">
        {title}
      </div>
      {actions.map((action) => (
        <button
          key={action.label}
          type="button"
          role="menuitem"
          onClick={() => {
            onClose(true);
            action.run();
          }}
        >
          {action.label}
        </button>
      ))}
    </div>
  );
});
