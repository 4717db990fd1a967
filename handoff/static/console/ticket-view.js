// One open ticket beside the inbox: its thread (the customer's mail, our answers, internal
// notes, each looking different), the chat it came from, the customer's profile, the reply box
// (an email or a note) and the ticket's actions: take, release, pending, solved, reopen. It
// renders and calls back; it never calls the server itself. Every word of a customer is text.
import { lineElement, saidElement } from "./chat-view.js";
import {
  clockTime, mailAuthor, priorityLabel, profileRows, slaClock, ticketTitle, TICKET_STATUSES,
} from "./format.js";
import { ReplyBox } from "./reply-box.js";

const el = (id) => document.getElementById(id);

/** One message of a ticket's thread: who and how, on what day and time, what. */
function mailElement(message, myId) {
  const day = new Date(message.at * 1000).toLocaleDateString([], { day: "numeric", month: "short" });
  const item = saidElement(
    `mail mail-${message.direction}`, mailAuthor(message, myId), message.at, `${day} ${clockTime(message.at)}`,
    message.text,
  );
  item.dataset.message = String(message.id);
  return item;
}

export class TicketView {
  /**
   * @param {{me: {id, name}, now: () => number, onReply: (text, status) => Promise,
   *          onNote: (text) => Promise, onStatus: (status) => void, onAssign: (agentId) => void}} options
   */
  constructor({ me, now, onReply, onNote, onStatus, onAssign }) {
    this.me = me;
    this.now = now;
    this.handlers = { onReply, onNote };
    this.element = el("ticket");
    this.detail = null;
    this.shown = new Set();
    this.parts = {
      heading: el("ticket-heading"),
      meta: el("ticket-meta"),
      sla: el("ticket-sla"),
      problem: el("ticket-problem"),
      thread: el("ticket-thread"),
      transcript: el("ticket-transcript"),
      noChat: el("ticket-no-chat"),
      profile: el("ticket-profile"),
      form: this.element.querySelector(".reply-form"),
      notMine: el("ticket-not-mine"),
      sendSolve: this.element.querySelector(".send-solve"),
    };
    this.box = new ReplyBox(this.parts.form, {
      send: "Send email",
      onModeChange: (note) => { this.parts.sendSolve.hidden = note; },
    });
    this.parts.reply = this.box.reply;
    this.buttons = {
      take: el("ticket-take"),
      release: el("ticket-release"),
      pending: el("ticket-pending"),
      solved: el("ticket-solved"),
      reopen: el("ticket-reopen"),
    };
    this.buttons.take.addEventListener("click", () => onAssign(this.me.id));
    this.buttons.release.addEventListener("click", () => onAssign(null));
    for (const status of ["pending", "solved"]) {
      this.buttons[status].addEventListener("click", () => onStatus(status));
    }
    this.buttons.reopen.addEventListener("click", () => onStatus("open"));
    this.parts.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit(event.submitter === this.parts.sendSolve ? "solved" : undefined);
    });
    this.box.reply.addEventListener("keydown", (event) => {
      // An email is several lines: Enter is a new line, Ctrl+Enter sends.
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this._submit();
      }
    });
  }

  get ticketId() {
    return this.detail ? this.detail.ticket.id : null;
  }

  /** Whether this agent holds the ticket (and so may answer it and change its status). */
  get mine() {
    return Boolean(this.detail) && this.detail.ticket.assignee === this.me.id;
  }

  /** Show a ticket from GET /agent/api/tickets/<id>; the same ticket again only adds what is new
   * to its thread, so the place read and the reply written stay. */
  show(detail) {
    const same = detail.ticket.id === this.ticketId;
    this.detail = detail;
    this.element.hidden = false;
    el("no-ticket").hidden = true;
    if (!same) {
      this.shown.clear();
      this.parts.thread.replaceChildren();
      this.box.reply.value = "";
      this.box.setNoteMode(false);
      this.showProblem("");
      this._showChat(detail);
    }
    this.update(detail.ticket);
    this._showProfile(detail);
    const fresh = detail.messages.filter((message) => !this.shown.has(message.id));
    for (const message of fresh) {
      this.shown.add(message.id);
      this.parts.thread.append(mailElement(message, this.me.id));
    }
    if (fresh.length) this.parts.thread.scrollTop = this.parts.thread.scrollHeight;
  }

  /** The ticket's fields changed (an action's answer): heading, facts and which actions apply. */
  update(ticket) {
    this.detail.ticket = ticket;
    this.parts.heading.textContent = ticketTitle(ticket);
    const facts = [
      TICKET_STATUSES[ticket.status] || ticket.status,
      priorityLabel(ticket.priority),
      `skill ${ticket.skill || "general"}`,
      ticket.assignee ? `with ${ticket.assignee === this.me.id ? "you" : ticket.assignee}` : "not taken",
      `from ${ticket.email}`,
    ];
    this.parts.meta.textContent = facts.join(" · ");
    const mine = this.mine;
    this.buttons.take.hidden = Boolean(ticket.assignee);
    this.buttons.release.hidden = !mine;
    this.buttons.pending.hidden = !mine || ticket.status !== "open";
    this.buttons.solved.hidden = !mine || ticket.status === "solved";
    this.buttons.reopen.hidden = !mine || ticket.status === "open";
    this.parts.form.hidden = !mine;
    this.parts.notMine.hidden = mine;
    this.tick();
  }

  /** Add a message the server has just kept (our answer, a note). */
  addMessage(message) {
    if (this.shown.has(message.id)) return;
    this.shown.add(message.id);
    this.parts.thread.append(mailElement(message, this.me.id));
    this.parts.thread.scrollTop = this.parts.thread.scrollHeight;
  }

  /** Move the SLA clock on; called each second. */
  tick() {
    const clock = this.detail && slaClock(this.detail.ticket, this.now());
    this.parts.sla.textContent = clock ? clock.text : "";
    this.parts.sla.classList.toggle("overdue", Boolean(clock?.overdue));
  }

  showProblem(message) {
    this.parts.problem.textContent = message || "";
  }

  /** Put text in the reply box at the cursor (the canned responses' picker). */
  insert(text) {
    this.box.insert(text);
  }

  focusHeading() {
    this.parts.heading.focus();
  }

  _showChat({ transcript }) {
    this.parts.transcript.replaceChildren(...(transcript || []).map((line) => lineElement(line, null)));
    this.parts.transcript.hidden = !transcript || transcript.length === 0;
    this.parts.noChat.hidden = !this.parts.transcript.hidden;
  }

  _showProfile({ ticket, conversation, customer }) {
    const rows = profileRows(conversation || { customer: customer || {} });
    if (!rows.some(([label]) => label === "Email")) rows.unshift(["Email", ticket.email]);
    this.parts.profile.replaceChildren(...rows.flatMap(([label, value]) => {
      const term = document.createElement("dt");
      term.textContent = label;
      const detail = document.createElement("dd");
      detail.textContent = value;
      return [term, detail];
    }));
  }

  /** Send the box's text: an email (then the ticket is `status`, pending unless said), or a note. */
  async _submit(status) {
    const text = this.box.text;
    if (!text) {
      this.showProblem("Write something first.");
      this.box.reply.focus();
      return;
    }
    const note = this.box.noteMode;
    const buttons = this.parts.form.querySelectorAll("button");
    buttons.forEach((button) => { button.disabled = true; });
    this.showProblem("");
    try {
      if (note) await this.handlers.onNote(text);
      else await this.handlers.onReply(text, status);
      this.box.reply.value = "";
    } catch (error) {
      // The text stays: sending it again goes under the same message id (api.js, OnceActions).
      this.showProblem(`${note ? "The note was not added" : "The email was not sent"}: ${error.message}`);
    } finally {
      buttons.forEach((button) => { button.disabled = false; });
      this.box.reply.focus();
    }
  }
}
