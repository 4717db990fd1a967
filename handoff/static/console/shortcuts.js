// The console's keyboard shortcuts: Alt with a key, so they never clash with typing a reply.
// Keys are read by their position (event.code), which Alt does not change on any layout.
// The list on the page (#shortcut-list) is written from SHORTCUTS: one place for both.

export const SHORTCUTS = [
  { keys: "Alt+1 … Alt+9", code: null, action: "chat", does: "Go to chat 1 to 9 of My chats" },
  { keys: "Alt+↓", code: "ArrowDown", action: "next", does: "Next chat" },
  { keys: "Alt+↑", code: "ArrowUp", action: "previous", does: "Previous chat" },
  { keys: "Alt+A", code: "KeyA", action: "accept", does: "Accept the first chat in the queue" },
  { keys: "Alt+N", code: "KeyN", action: "note", does: "Switch between a reply and an internal note" },
  { keys: "Alt+T", code: "KeyT", action: "transfer", does: "Transfer this chat" },
  { keys: "Alt+H", code: "KeyH", action: "handBack", does: "Hand this chat back to the assistant" },
  { keys: "Alt+X", code: "KeyX", action: "close", does: "Close this chat" },
];

/** The action a key press asks for, as {action, number?}; null for any other key. */
export function shortcutFor(event) {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  const digit = /^Digit([1-9])$/.exec(event.code);
  if (digit) return { action: "chat", number: Number(digit[1]) };
  const found = SHORTCUTS.find((shortcut) => shortcut.code === event.code);
  return found ? { action: found.action } : null;
}

/** Write the list of shortcuts into `list` (a <dl>). */
export function listShortcuts(list) {
  for (const shortcut of SHORTCUTS) {
    const keys = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = shortcut.keys;
    keys.append(kbd);
    const does = document.createElement("dd");
    does.textContent = shortcut.does;
    list.append(keys, does);
  }
}

/** Call `actions[action](number)` for every shortcut pressed anywhere on the page. */
export function listenForShortcuts(actions) {
  document.addEventListener("keydown", (event) => {
    const shortcut = shortcutFor(event);
    if (!shortcut || !actions[shortcut.action]) return;
    event.preventDefault();
    actions[shortcut.action](shortcut.number);
  });
}
