import { draftStore, useDraft } from "../draft/store";
import { documentDiff } from "../lib/fieldDiff";
import { announce } from "../ui/announce";
import { ConfirmDialog } from "../ui/Dialog";

/** Asks before dropping the draft; the toast after it offers Undo. */
export function DiscardDialog({ onDone }: { onDone: () => void }) {
  const count = useDraft((s) => (s.doc && s.base ? documentDiff(s.base, s.doc).length : 0));
  return (
    <ConfirmDialog
      title="Discard the draft?"
      confirmLabel="Discard draft"
      danger
      onCancel={onDone}
      onConfirm={() => {
        draftStore.discard();
        onDone();
        announce(`Discarded ${count} unapplied change${count === 1 ? "" : "s"}.`, {
          label: "Undo discard",
          run: () => draftStore.undo(),
        });
      }}
    >
      <p>
        {count} unapplied object change{count === 1 ? "" : "s"} will be dropped. You can undo this
        right after.
      </p>
    </ConfirmDialog>
  );
}
