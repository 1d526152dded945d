import { type ReactNode, useEffect, useId, useRef } from "react";
import { createPortal } from "react-dom";

const FOCUSABLE =
  "input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

/** The app's root element: made inert while a dialog is open, so nothing behind it is reachable. */
function appRoot(): HTMLElement | null {
  return document.getElementById("root");
}

/**
 * A modal dialog (WCAG 2.2 dialog pattern): rendered above the app, which turns inert; focus goes
 * to the first field (or, with none, the first action; the close button last), Tab and Shift+Tab cycle inside,
 * Escape closes, and focus returns to whatever opened it.
 */
export function Dialog({
  title,
  onClose,
  children,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = appRoot();
    root?.setAttribute("inert", "");
    const dialog = ref.current;
    const field = dialog?.querySelector<HTMLElement>(
      "input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled])",
    );
    // No field (a confirmation): its first action, the close button only as a last resort.
    const action = dialog?.querySelector<HTMLElement>(
      `.dialog-body-start ~ :is(${FOCUSABLE}), .dialog-body-start ~ * :is(${FOCUSABLE})`,
    );
    (field ?? action ?? dialog?.querySelector<HTMLElement>(FOCUSABLE))?.focus();
    return () => {
      root?.removeAttribute("inert");
      // The opener may be gone (a deleted row): then focus the main landmark, never <body>.
      if (opener?.isConnected) opener.focus();
      else document.querySelector<HTMLElement>("main")?.focus();
    };
  }, []);
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      close.current();
      return;
    }
    if (event.key !== "Tab" || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (item) => item.offsetParent !== null || item === document.activeElement,
    );
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  return createPortal(
    <div className="dialog-backdrop">
      <div
        ref={ref}
        className={`dialog${wide ? " wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={onKeyDown}
      >
        <div className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        <span className="dialog-body-start" hidden />
        {children}
      </div>
    </div>,
    document.body,
  );
}

/**
 * Asks before something that is hard to take back (discard, restore, delete). The confirm button
 * names the action; Escape or Cancel changes nothing.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  danger,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  danger?: boolean;
}) {
  return (
    <Dialog title={title} onClose={onCancel}>
      <div className="confirm-body">{children}</div>
      <div className="dialog-buttons">
        <button type="button" className={danger ? "danger-button" : "primary"} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
