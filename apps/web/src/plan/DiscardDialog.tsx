import { draftStore } from "../draft/store";
import { announce } from "../ui/announce";
import { ConfirmDialog } from "../ui/Dialog";

/** Asks before dropping the draft; the toast after it offers Undo. */
export function DiscardDialog({ onDone }: { onDone: () => void }) {
  return (
    <ConfirmDialog
      title="Discard the draft?"
      confirmLabel="Discard draft"
      danger
      onCancel={onDone}
      onConfirm={() => {
        draftStore.discard();
        onDone();
        announce("Discarded the draft.", {
          label: "Undo discard",
          run: () => draftStore.undo(),
        });
      }}
    >
      <p>
        Every unapplied change is dropped and the canvas shows what is applied. You can undo this
        right after.
      </p>
    </ConfirmDialog>
  );
}
