// "My chats": one button per open chat, in the order they opened, with how many of the
// customer's lines are unread; a button takes the agent to that chat. It renders from the
// panels and calls back; it never touches the socket.

export class ChatList {
  /** @param {{onOpen: (panel) => void}} handlers */
  constructor({ onOpen }) {
    this.list = document.getElementById("chat-tabs");
    this.onOpen = onOpen;
    this.items = new Map();
  }

  /** Show `panels` (in order), each with its unread count; `current` is marked as such. */
  render(panels, current) {
    const keep = new Set(panels.map((panel) => panel.chat.id));
    for (const [id, item] of this.items) {
      if (!keep.has(id)) {
        item.remove();
        this.items.delete(id);
      }
    }
    panels.forEach((panel, index) => {
      const item = this.items.get(panel.chat.id) || this._item(panel);
      const button = item.querySelector("button");
      const unread = panel.unread;
      item.querySelector(".chat-tab-name").textContent = panel.name;
      const count = item.querySelector(".unread");
      count.textContent = unread ? String(unread) : "";
      count.hidden = !unread;
      const words = unread ? `, ${unread} unread` : "";
      button.setAttribute("aria-label", `${panel.name}${words} (Alt+${index + 1})`);
      if (panel === current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
      if (this.list.children[index] !== item) this.list.insertBefore(item, this.list.children[index] || null);
    });
    this.list.hidden = panels.length === 0;
  }

  _item(panel) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chat-tab secondary";
    const name = document.createElement("span");
    name.className = "chat-tab-name";
    const unread = document.createElement("span");
    unread.className = "unread";
    unread.setAttribute("aria-hidden", "true");
    button.append(name, " ", unread);
    button.addEventListener("click", () => this.onOpen(panel));
    item.append(button);
    this.items.set(panel.chat.id, item);
    return item;
  }
}
