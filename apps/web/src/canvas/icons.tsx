import { memo } from "react";

/** The kinds of thing the canvas draws; each has one icon, used on nodes, palette and lists. */
export type IconKind =
  | "network"
  | "external"
  | "workload"
  | "firewall"
  | "load-balancer"
  | "nat"
  | "dns"
  | "router"
  | "pool"
  | "fip"
  | "gateway"
  | "policy"
  | "security-group"
  | "assertion";

const PATHS: Record<IconKind, React.ReactNode> = {
  network: (
    <>
      <rect x="2" y="9" width="20" height="6" rx="1.5" />
      <path d="M6 9V5M12 9V5M18 9V5M6 15v4M12 15v4M18 15v4" />
    </>
  ),
  gateway: (
    <>
      <rect x="3" y="13" width="18" height="7" rx="1.5" />
      <path d="M7 16.5h.01M11 16.5h.01M12 13V8M8 6l4-3 4 3M5 9l7-1 7 1" />
    </>
  ),
  external: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M3 12h18M12 3c3 3.5 3 14.5 0 18M12 3c-3 3.5-3 14.5 0 18" />
    </>
  ),
  workload: (
    <>
      <rect x="4" y="3" width="16" height="12" rx="1.5" />
      <path d="M8 19h8M12 15v4M7 7h4M7 10h7" />
    </>
  ),
  firewall: (
    <>
      <rect x="3" y="4" width="18" height="16" rx="1" />
      <path d="M3 9h18M3 14h18M9 4v5M15 9v5M9 14v6" />
    </>
  ),
  "load-balancer": (
    <>
      <circle cx="12" cy="5" r="2.5" />
      <circle cx="5" cy="19" r="2.5" />
      <circle cx="12" cy="19" r="2.5" />
      <circle cx="19" cy="19" r="2.5" />
      <path d="M12 7.5v9M11 7 6 16.8M13 7l5 9.8" />
    </>
  ),
  nat: (
    <>
      <path d="M4 8h13l-3-3M20 16H7l3 3" />
    </>
  ),
  dns: (
    <>
      <rect x="3" y="4" width="18" height="6" rx="1" />
      <rect x="3" y="14" width="18" height="6" rx="1" />
      <path d="M7 7h.01M7 17h.01M11 7h6M11 17h6" />
    </>
  ),
  router: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M8 8l3 3M16 16l-3-3M16 8l-3 3M8 16l3-3M8 8h2.5M8 8v2.5M16 16h-2.5M16 16v-2.5" />
    </>
  ),
  pool: (
    <>
      <ellipse cx="12" cy="6" rx="8" ry="3" />
      <path d="M4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3" />
    </>
  ),
  fip: (
    <>
      <path d="M12 21s-7-6.2-7-11a7 7 0 0 1 14 0c0 4.8-7 11-7 11z" />
      <circle cx="12" cy="10" r="2.5" />
    </>
  ),
  policy: (
    <>
      <path d="M12 3 4 6v6c0 4.5 3.4 8.2 8 9 4.6-.8 8-4.5 8-9V6z" />
      <path d="M8.5 12l2.5 2.5 4.5-5" />
    </>
  ),
  "security-group": (
    <>
      <rect x="5" y="10" width="14" height="10" rx="1.5" />
      <path d="M8 10V7a4 4 0 0 1 8 0v3" />
    </>
  ),
  assertion: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M8 12.5l2.5 2.5L16 9.5" />
    </>
  ),
};

/** An inline SVG icon. Decorative (aria-hidden): the control around it carries the name. */
export const Icon = memo(function Icon({
  kind,
  size = 16,
  className,
}: {
  kind: IconKind;
  size?: number;
  className?: string;
}) {
  return (
    <svg
      className={className ? `icon icon-${kind} ${className}` : `icon icon-${kind}`}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.7"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {PATHS[kind]}
    </svg>
  );
});
