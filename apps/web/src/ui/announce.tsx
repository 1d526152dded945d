import { createExternalStore, useStoreSelector } from "../lib/externalStore";

/**
 * What just happened, said once to everyone: a polite live region screen readers read out and
 * sighted users see as a toast, with an optional action (Undo after a discard or a delete).
 */
export interface Announcement {
  id: number;
  message: string;
  action?: { label: string; run: () => void };
}

const announcements = createExternalStore<{ current: Announcement | null }>({ current: null });
let nextId = 1;

/** Says `message` in the live region (replacing the previous one). */
export function announce(message: string, action?: Announcement["action"]): void {
  announcements.set({ current: { id: nextId++, message, ...(action ? { action } : {}) } });
}

/**
 * Moves focus to `target` (an element or a selector), as after an action. What the action opens
 * may still be rendering (a lazy panel): a selector is looked for on each frame for about a
 * second.
 */
export function focusAfter(target: HTMLElement | string | null | undefined): void {
  let frames = 0;
  const seek = () => {
    const element =
      typeof target === "string" ? document.querySelector<HTMLElement>(target) : target;
    if (element) element.focus();
    else if (++frames < 60) requestAnimationFrame(seek);
  };
  requestAnimationFrame(seek);
}

/**
 * The one live region of the app; rendered once, in the shell. The region itself is always in
 * the page (so screen readers hear changes to it); its buttons sit beside it, not inside.
 */
export function LiveRegion() {
  const current = useStoreSelector(announcements, (s) => s.current);
  return (
    <div className={`toast${current ? " shown" : ""}`}>
      <span role="status" aria-live="polite" aria-atomic="true" className="toast-message">
        {current?.message ?? ""}
      </span>
      {current?.action ? (
        <button
          type="button"
          onClick={() => {
            current.action?.run();
            announcements.set({ current: null });
          }}
        >
          {current.action.label}
        </button>
      ) : null}
      {current ? (
        <button
          type="button"
          className="icon-button"
          aria-label="Dismiss message"
          onClick={() => announcements.set({ current: null })}
        >
          ×
        </button>
      ) : null}
    </div>
  );
}
