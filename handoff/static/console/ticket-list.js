// A list of tickets in the console's inbox ("Mine" or "To take"): one card per
// ticket with its reference and subject (a button that opens it), an unread marker, status,
// priority, skill, a ticking SLA clock, the customer's address and the latest words. Cards are
// kept by ticket, so a refresh never steals the focus. It renders and calls back; all text.
import { priorityLabel, slaClock, ticketTitle, TICKET_STATUSES } from "./format.js";

function part(tag, className) {
  const element = document.createElement(tag);
  element.className = className;
  return element;
}

export class TicketList {
  /**
   * @param {HTMLElement} list  a <ul>
   * @param {{onOpen: (ticketId) => void, now: () => number, empty: HTMLElement, count: HTMLElement}} options
   */
  constructor(list, { onOpen, now, empty, count }) {
    this.list = list;
    this.onOpen = onOpen;
    this.now = now;
    this.empty = empty;
    this.count = count;
    this.rows = new Map();
    this.tickets = [];
  }

  /** Show `tickets` in order; the one open beside the list (`openedId`) is marked current. */
  render(tickets, openedId) {
    this.tickets = tickets;
    const keep = new Set(tickets.map((ticket) => ticket.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    tickets.forEach((ticket, index) => {
      const row = this.rows.get(ticket.id) || this._row(ticket.id);
      this._describe(row, ticket, ticket.id === openedId);
      if (this.list.children[index] !== row) this.list.insertBefore(row, this.list.children[index] || null);
    });
    this.empty.hidden = tickets.length > 0;
    this.count.textContent = String(tickets.length);
    this.tick();
  }

  /** Move every SLA clock on; called each second. */
  tick() {
    for (const ticket of this.tickets) {
      const clock = slaClock(ticket, this.now());
      const element = this.rows.get(ticket.id)?.querySelector(".sla");
      if (!element) continue;
      element.textContent = clock ? clock.text : "";
      element.classList.toggle("overdue", Boolean(clock?.overdue));
    }
  }

  _row(id) {
    const row = part("li", "ticket-row");
    row.dataset.ticket = id;
    const open = part("button", "ticket-open secondary");
    open.type = "button";
    open.addEventListener("click", () => this.onOpen(id));
    const facts = part("p", "ticket-facts");
    facts.append(
      part("span", "status"), " · ", part("span", "priority"), " · ", part("span", "skill"), " · ",
      part("span", "sla"),
    );
    row.append(open, facts, part("p", "ticket-email"), part("p", "preview"));
    this.rows.set(id, row);
    return row;
  }

  _describe(row, ticket, current) {
    row.dataset.priority = ticket.priority;
    row.dataset.status = ticket.status;
    row.classList.toggle("unread", Boolean(ticket.unread));
    const open = row.querySelector(".ticket-open");
    const title = part("span", "ticket-title");
    title.textContent = ticketTitle(ticket);
    open.replaceChildren(title);
    if (ticket.unread) {
      const badge = part("span", "new-badge");
      badge.textContent = "Unread";
      open.append(" ", badge);
    }
    if (current) open.setAttribute("aria-current", "true");
    else open.removeAttribute("aria-current");
    row.querySelector(".status").textContent = TICKET_STATUSES[ticket.status] || ticket.status;
    row.querySelector(".priority").textContent = priorityLabel(ticket.priority);
    row.querySelector(".skill").textContent = `skill ${ticket.skill || "general"}`;
    row.querySelector(".ticket-email").textContent = ticket.email;
    // The customer's words, as text: never HTML.
    row.querySelector(".preview").textContent = ticket.preview ? `“${ticket.preview}”` : "";
  }
}
