// Confirmations for actions that lose something (transfer, hand back, close): a modal <dialog>
// whose form says "confirm" or "cancel". Escape cancels; the focus goes back where it was.

/**
 * Open `dialog` with `text`; resolves true when the agent confirms, false otherwise.
 * `prepare(dialog)` fills in the dialog's own fields first.
 */
export function confirmIn(dialog, text, prepare = () => {}) {
  const opener = document.activeElement;
  dialog.querySelector(".dialog-text").textContent = text;
  prepare(dialog);
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        if (opener && opener.isConnected) opener.focus();
        resolve(dialog.returnValue === "confirm");
      },
      { once: true },
    );
    dialog.showModal();
  });
}
