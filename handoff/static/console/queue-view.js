// The queue: one entry per waiting chat, in queue order: who, priority, a ticking wait, reason,
// skill, the customer's latest line, and an "Accept" button. Entries are cards that wrap in
// the queue's column at any width (a table overflowed it and hid "Accept" under the chats).
// They are kept by conversation, so an update never steals the focus. `queue` events carry
// no reason, name nor line (they go to every agent each second); those come from `learn`,
// with what GET /agent/api/queue answers.
import { customerName, duration, priorityLabel, reasonLabel } from "./format.js";

export class QueueView {
  /** @param {{onAccept: (conversationId) => void, now: () => number}} options */
  constructor({ onAccept, now }) {
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
    this.rows.hidden = entries.length === 0;
    this.empty.hidden = entries.length > 0;
    this.count.textContent = `${length} waiting`;
    this.tick();
  }

  /** Entries this view has no reason, name or line for yet, or whose customer wrote since. */
  unknown(entries) {
    return entries.filter((entry) => {
      const known = this.details.get(entry.conversation_id);
      return !known || known.last_seq < entry.last_seq;
    });
  }

  /** Reasons, names and lines of queued chats; fills in the entries that lacked them. */
  learn(entries) {
    for (const entry of entries) {
      this.details.set(entry.conversation_id, entry);
      const row = this.byId.get(entry.conversation_id);
      if (row) this._describe(row, entry);
    }
  }

  /** Accept the chat at the head of the queue (a keyboard shortcut); false if none waits. */
  acceptFirst() {
    const accept = this.rows.querySelector(".accept:not(:disabled)");
    if (accept) accept.click();
    return Boolean(accept);
  }

  /** Update every wait time; called each second. */
  tick() {
    for (const entry of this.entries) {
      const row = this.byId.get(entry.conversation_id);
      if (row) row.querySelector(".waiting").textContent = duration(this.now() - entry.queued_at);
    }
  }

  _row(entry) {
    const row = document.createElement("li");
    row.className = "queue-entry";
    row.dataset.conversation = entry.conversation_id;
    const part = (tag, className) => {
      const element = document.createElement(tag);
      element.className = className;
      return element;
    };
    const who = part("p", "queue-who");
    who.append(part("span", "customer"), " ", part("span", "priority"));
    const facts = part("p", "queue-facts");
    facts.append("Waiting ", part("span", "waiting"), " · ", part("span", "reason"), " · ", part("span", "skill"));
    const preview = part("p", "preview");
    const accept = document.createElement("button");
    accept.type = "button";
    accept.className = "accept";
    accept.textContent = "Accept";
    accept.addEventListener("click", () => {
      accept.disabled = true;
      this.onAccept(entry.conversation_id);
      setTimeout(() => { accept.disabled = false; }, 3000); // if someone else got it first
    });
    row.append(who, facts, preview, accept);
    row.querySelector(".skill").textContent = `skill ${entry.skill}`;
    this._describe(row, this.details.get(entry.conversation_id) || entry);
    this.byId.set(entry.conversation_id, row);
    return row;
  }

  _describe(row, entry) {
    const { conversation_id: id, customer_name: name, reason, preview } = entry;
    const who = customerName({ id, customer: { name } });
    row.querySelector(".customer").textContent = who;
    row.querySelector(".reason").textContent = reason === undefined ? "…" : reasonLabel(reason);
    // The customer's words, as text: never HTML.
    row.querySelector(".preview").textContent = preview ? `“${preview}”` : "";
    row.querySelector(".accept").setAttribute("aria-label", `Accept ${who}`);
  }
}
