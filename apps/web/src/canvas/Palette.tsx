import type { Policy } from "@netloom/model";
import { memo } from "react";
import { PALETTE_MIME, type PaletteItem, POLICY_MIME } from "./canvasApi";
import { Icon } from "./icons";
import { paletteIcon } from "./nodes";

const ITEMS: { item: PaletteItem; label: string }[] = [
  { item: "network", label: "Network" },
  { item: "external", label: "External network" },
  { item: "workload", label: "Workload" },
  { item: "router", label: "Router" },
  { item: "firewall", label: "Firewall" },
  { item: "load-balancer", label: "Load balancer" },
  { item: "nat", label: "NAT" },
  { item: "dns", label: "DNS" },
  { item: "pool", label: "Floating IP pool" },
];

/**
 * New objects: drag onto the canvas (firewall, LB and NAT onto a policy edge to chain them), or
 * press Enter on an item to create it in the middle of the view.
 */
export const Palette = memo(function Palette({
  disabled,
  onActivate,
}: {
  disabled: boolean;
  onActivate: (item: PaletteItem) => void;
}) {
  return (
    <section className="palette" aria-label="Palette">
      <h3>Add</h3>
      <ul>
        {ITEMS.map(({ item, label }) => (
          <li key={item}>
            <button
              type="button"
              className="palette-item"
              draggable={!disabled}
              disabled={disabled}
              aria-label={`Add ${label}`}
              title={`Drag onto the canvas, or press Enter, to add a ${label.toLowerCase()}`}
              onDragStart={(event) => {
                event.dataTransfer.setData(PALETTE_MIME, item);
                event.dataTransfer.effectAllowed = "copy";
              }}
              onClick={() => onActivate(item)}
            >
              <Icon kind={paletteIcon[item] ?? "network"} />
              <span>{label}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
});

/** Policies of the tenant, draggable onto a network to attach them. */
export const PolicyLibrary = memo(function PolicyLibrary({
  policies,
  disabled,
  onSelect,
}: {
  policies: readonly Policy[];
  disabled: boolean;
  onSelect: (name: string) => void;
}) {
  return (
    <section className="policy-library" aria-label="Policy library">
      <h3>Policies</h3>
      {policies.length === 0 ? (
        <p className="muted small">Draw an edge between two networks to create one.</p>
      ) : null}
      <ul>
        {policies.map((policy) => (
          <li key={policy.name}>
            <button
              type="button"
              className="library-item"
              draggable={!disabled}
              aria-label={`Policy ${policy.name}`}
              title="Drag onto a network to attach"
              onDragStart={(event) => {
                event.dataTransfer.setData(POLICY_MIME, policy.name);
                event.dataTransfer.effectAllowed = "link";
              }}
              onClick={() => onSelect(policy.name)}
            >
              <Icon kind="policy" />
              <span className="grow">{policy.name}</span>
              <span className="muted small">{policy.attach.length}↔</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
});
