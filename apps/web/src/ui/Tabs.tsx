import type { ReactNode } from "react";

/**
 * A tab list by the WAI-ARIA pattern: one Tab stop (the selected tab), arrow keys move between
 * tabs and select them, Home and End jump to the ends. Panels are rendered by the caller with
 * `tabPanelProps`.
 */
export function TabList<T extends string>({
  label,
  tabs,
  selected,
  onSelect,
  idPrefix,
  extra,
}: {
  label: string;
  tabs: readonly (readonly [T, string])[];
  selected: T;
  onSelect: (id: T) => void;
  idPrefix: string;
  /** Something drawn after a tab's label (a badge), part of its name. */
  extra?: (id: T) => ReactNode;
}) {
  const move = (event: React.KeyboardEvent, index: number) => {
    const last = tabs.length - 1;
    const target =
      event.key === "ArrowRight" || event.key === "ArrowDown"
        ? index === last
          ? 0
          : index + 1
        : event.key === "ArrowLeft" || event.key === "ArrowUp"
          ? index === 0
            ? last
            : index - 1
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? last
              : null;
    if (target === null) return;
    event.preventDefault();
    const next = tabs[target];
    if (!next) return;
    onSelect(next[0]);
    document.getElementById(`${idPrefix}-tab-${next[0]}`)?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map(([id, text], index) => (
        <button
          key={id}
          type="button"
          role="tab"
          id={`${idPrefix}-tab-${id}`}
          aria-selected={selected === id}
          aria-controls={`${idPrefix}-panel`}
          tabIndex={selected === id ? 0 : -1}
          className={selected === id ? "active" : ""}
          onClick={() => onSelect(id)}
          onKeyDown={(event) => move(event, index)}
        >
          {text}
          {extra?.(id)}
        </button>
      ))}
    </div>
  );
}

/** Props of the panel the selected tab controls. */
export function tabPanelProps(idPrefix: string, selected: string) {
  return {
    role: "tabpanel",
    id: `${idPrefix}-panel`,
    "aria-labelledby": `${idPrefix}-tab-${selected}`,
    tabIndex: 0,
  } as const;
}
