// The queue table: one row per waiting chat, in queue order, with a ticking wait time and an
// "Accept" button. Rows are kept by conversation, so an update never steals the focus.
import { customerName, duration, priorityLabel, reasonLabel } from "./format.js";

export class QueueView {
  /** @param {{onAccept: (conversationId) => void, now: () => number}} options */
  constructor({ onAccept, now }) {
    this.table = document.getElementById("queue-table");
    this.rows = document.getElementById("queue-rows");
    this.empty = document.getElementById("queue-empty");
    this.count = document.getElementById("queue-count");
    this.onAccept = onAccept;
    this.now = now;
    this.byId = new Map();
    this.entries = [];
    setInterval(() => this.tick(), 1000);
  }

  render(entries) {
    this.entries = entries;
    const keep = new Set(entries.map((entry) => entry.conversation_id));
    for (const [id, row] of this.byId) {
      if (!keep.has(id)) {
        row.remove();
        this.byId.delete(id);
      }
    }
    entries.forEach((entry, index) => {
      const row = this.byId.get(entry.conversation_id) || this._row(entry);
      row.querySelector(".priority").textContent = priorityLabel(entry.priority);
      row.dataset.priority = entry.priority;
      if (this.rows.children[index] !== row) this.rows.insertBefore(row, this.rows.children[index] || null);
    });
    this.table.hidden = entries.length === 0;
    this.empty.hidden = entries.length > 0;
    this.count.textContent = `${entries.length} waiting`;
    this.tick();
  }

  /** Update every wait time; called each second. */
  tick() {
    for (const entry of this.entries) {
      const row = this.byId.get(entry.conversation_id);
      if (row) row.querySelector(".waiting").textContent = duration(this.now() - entry.queued_at);
    }
  }

  _row(entry) {
    const row = document.createElement("tr");
    row.dataset.conversation = entry.conversation_id;
    const cells = [
      ["customer", customerName({ id: entry.conversation_id, customer: { name: entry.customer_name } })],
      ["priority", ""],
      ["waiting", ""],
      ["reason", reasonLabel(entry.reason)],
      ["skill", entry.skill],
    ];
    for (const [name, text] of cells) {
      const cell = document.createElement("td");
      cell.className = name;
      cell.textContent = text;
      row.append(cell);
    }
    const action = document.createElement("td");
    const accept = document.createElement("button");
    accept.type = "button";
    accept.textContent = "Accept";
    accept.addEventListener("click", () => {
      accept.disabled = true;
      this.onAccept(entry.conversation_id);
      setTimeout(() => { accept.disabled = false; }, 3000); // if someone else got it first
    });
    action.append(accept);
    row.append(action);
    this.byId.set(entry.conversation_id, row);
    return row;
  }
}
