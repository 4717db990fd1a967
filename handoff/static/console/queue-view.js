// The queue table: one row per waiting chat, in queue order, with a ticking wait time and an
// "Accept" button. Rows are kept by conversation, so an update never steals the focus.
// `queue` events carry no reason nor name (they go to every agent each second); those come
// from `learn`, with what GET /agent/api/queue answers.
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
    this.details = new Map();
    this.entries = [];
    setInterval(() => this.tick(), 1000);
  }

  /** Show the head of the queue; ``length`` counts every waiting chat, shown or not. */
  render(entries, length = entries.length) {
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
    this.count.textContent = `${length} waiting`;
    this.tick();
  }

  /** Entries this view has no reason or name for yet. */
  unknown(entries) {
    return entries.filter((entry) => !this.details.has(entry.conversation_id));
  }

  /** Reasons and names of queued chats; fills in the rows that lacked them. */
  learn(entries) {
    for (const entry of entries) {
      this.details.set(entry.conversation_id, entry);
      const row = this.byId.get(entry.conversation_id);
      if (row) this._describe(row, entry);
    }
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
    for (const name of ["customer", "priority", "waiting", "reason", "skill"]) {
      const cell = document.createElement("td");
      cell.className = name;
      row.append(cell);
    }
    row.querySelector(".skill").textContent = entry.skill;
    this._describe(row, this.details.get(entry.conversation_id) || entry);
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

  _describe(row, entry) {
    const { conversation_id: id, customer_name: name, reason } = entry;
    row.querySelector(".customer").textContent = customerName({ id, customer: { name } });
    row.querySelector(".reason").textContent = reason === undefined ? "…" : reasonLabel(reason);
  }
}
