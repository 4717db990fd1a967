// The console's ticket inbox: the lists "Mine" and "To take" for the status chosen, the ticket
// opened beside them, and what the agent does to it, sent through the API (api.js; each action
// once, under its message id). The lists and the open ticket are fetched again every few
// seconds while they are on screen (a customer's emailed reply shows up by itself), and now and
// then otherwise, for the count on the "Tickets" tab.
import {
  assignTicket, noteOnTicket, renderTicketCanned, replyToTicket, setTicketStatus, ticketCanned,
  ticketDetail, ticketList,
} from "./api.js";
import { CannedPicker } from "./canned-picker.js";
import { TicketList } from "./ticket-list.js";
import { TicketView } from "./ticket-view.js";

const SHOWN_POLL_MS = 5000;
const HIDDEN_POLL_MS = 30000;
const el = (id) => document.getElementById(id);

export class TicketInbox {
  /**
   * @param {{me: {id, name}, now: () => number, announce: (text) => void,
   *          onCount: (words) => void, isShown: () => boolean}} options
   */
  constructor({ me, now, announce, onCount, isShown }) {
    this.announce = announce;
    this.onCount = onCount;
    this.isShown = isShown;
    this.status = el("ticket-filter");
    this.problem = el("tickets-problem");
    const list = (name) => new TicketList(el(`tickets-${name}`), {
      now,
      onOpen: (id) => this.open(id),
      empty: el(`tickets-${name}-empty`),
      count: el(`tickets-${name}-count`),
    });
    this.lists = { mine: list("mine"), queue: list("queue") };
    this.view = new TicketView({
      me,
      now,
      onReply: (text, status) => this._write(replyToTicket(this.view.ticketId, text, status), status
        ? `Email sent; the ticket is ${status}.` : "Email sent; the ticket waits for the customer."),
      onNote: (text) => this._write(noteOnTicket(this.view.ticketId, text), "Note added."),
      onStatus: (status) => this._act(setTicketStatus(this.view.ticketId, status), `The ticket is ${status}.`),
      onAssign: (agentId) => this._act(
        assignTicket(this.view.ticketId, agentId),
        agentId ? "You took the ticket." : "You released the ticket: it is back in To take.",
      ),
    });
    new CannedPicker(this.view, {
      list: () => ticketCanned(this.view.ticketId),
      fill: (cannedId) => renderTicketCanned(cannedId, this.view.ticketId),
    });
    this.status.addEventListener("change", () => this.refresh());
  }

  /** Load now, then keep the inbox fresh (call `refresh` too when it comes on screen); the SLA
   * clocks tick every second. */
  start() {
    let last = 0;
    const poll = () => {
      if (!this.isShown() && Date.now() - last < HIDDEN_POLL_MS) return;
      last = Date.now();
      this.refresh();
    };
    poll();
    setInterval(poll, SHOWN_POLL_MS);
    setInterval(() => {
      for (const list of Object.values(this.lists)) list.tick();
      this.view.tick();
    }, 1000);
  }

  /** Fetch both lists, and the open ticket while the inbox is on screen. */
  async refresh({ withTicket = true } = {}) {
    try {
      const [mine, queue] = await Promise.all(
        ["mine", "queue"].map((view) => ticketList(view, this.status.value)),
      );
      this.lists.mine.render(mine.tickets, this.view.ticketId);
      this.lists.queue.render(queue.tickets, this.view.ticketId);
      const unread = mine.tickets.filter((ticket) => ticket.unread).length;
      const words = [unread && `${unread} unread`, queue.tickets.length && `${queue.tickets.length} to take`];
      this.onCount(words.filter(Boolean).join(", "));
      if (withTicket && this.view.ticketId && this.isShown()) this.view.show(await ticketDetail(this.view.ticketId));
      this.problem.textContent = "";
    } catch (error) {
      if (error.status === 401) window.location.assign("/agent");
      this.problem.textContent = `The tickets could not be loaded: ${error.message}`;
    }
  }

  /** Open a ticket beside the lists, with the focus on its heading. */
  async open(id) {
    try {
      this.view.show(await ticketDetail(id));
      this.view.focusHeading();
      this.refresh({ withTicket: false }); // opened: no longer unread
    } catch (error) {
      this.problem.textContent = `The ticket could not be opened: ${error.message}`;
    }
  }

  /** An email or a note: kept on the thread once the server has it; a failure is the caller's. */
  async _write(sending, done) {
    const { message, ticket } = await sending;
    this.view.addMessage(message);
    this._changed(ticket, done);
  }

  /** A change of status or holder: shown, or said why not. */
  async _act(sending, done) {
    this.view.showProblem("");
    try {
      const { ticket } = await sending;
      this._changed(ticket, done);
    } catch (error) {
      this.view.showProblem(`Not done: ${error.message}`);
    }
  }

  _changed(ticket, done) {
    this.view.update(ticket);
    this.announce(done);
    this.refresh({ withTicket: false });
  }
}
