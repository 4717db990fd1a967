// The widget on the page: a launcher button and a chat panel, rendered from the session's state.
//
// Everything people write goes into the page as text (textContent, createElement); the only
// markup made from a message is an https link in a bot's text. This module never touches the
// socket: what the customer does goes to the `actions` the facade passes in.

import { MAX_MESSAGE_CHARS, PHONE_SCREEN, STICK_TO_BOTTOM_PX } from "./constants.js";
import { describeQueue, latestStatus, linkParts, unreadCount } from "./messages.js";

const SVG = "http://www.w3.org/2000/svg";
const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
const CLOSE_ICON = "M6 6l12 12M18 6L6 18";
const AUTHORS = { bot: "Assistant", customer: "You" };
const RATINGS = [1, 2, 3, 4, 5];
// Under a customer's message not yet confirmed; "sending" needs no words, it lasts a moment.
const DELIVERY_NOTES = { waiting: "Waiting for the connection…", failed: "Not sent" };
const INTRO =
  "Hello! Ask us anything. Our assistant answers right away, " +
  "and a person can take over whenever you need one.";
const SUBTITLES = {
  bot: () => "Our assistant replies right away",
  queued: () => "Waiting for a person",
  assigned: (state) => `You're chatting with ${state.agentName || "an agent"}`,
  closed: () => "This chat has ended",
};

/** `document.createElement` with a class, attributes and text; never parses HTML. */
function el(tag, { className, text, ...attributes } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A `<button type="button">` that calls `onClick`. */
function button(attributes, onClick, children = []) {
  const node = el("button", { type: "button", ...attributes }, children);
  node.addEventListener("click", onClick);
  return node;
}

function icon(path) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const shape = document.createElementNS(SVG, "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
}

/** A bot's text with its https links as <a> elements; anything else stays text. */
function botText(text) {
  return linkParts(text).map((part) =>
    part.href
      ? el("a", { text: part.text, href: part.href, target: "_blank", rel: "noopener noreferrer" })
      : document.createTextNode(part.text),
  );
}

/** One line of the conversation as data; the list is redrawn only where this changes. */
function messageItems(state) {
  const confirmed = state.messages.map((message) => ({
    key: `seq-${message.seq}`,
    seq: message.seq,
    sender: message.sender,
    text: message.text,
    author: message.sender === "agent" ? message.agentName || "Agent" : AUTHORS[message.sender],
    status: message.status,
    delivery: null,
  }));
  const typed = state.pending.map((item) => ({
    key: `pending-${item.id}`,
    seq: null,
    sender: "customer",
    text: item.text,
    author: AUTHORS.customer,
    status: null,
    delivery: item.failed ? "failed" : item.sentOn === null ? "waiting" : "sending",
  }));
  return [...confirmed, ...typed];
}

function messageNode(item) {
  const node = el("li", { className: `tandem-message tandem-from-${item.sender}` });
  node.dataset.sender = item.sender;
  if (item.seq) node.dataset.seq = String(item.seq);
  if (item.status) node.dataset.status = item.status;
  if (item.delivery) node.dataset.delivery = item.delivery;
  if (item.author) {
    const hidden = item.sender === "agent" ? "" : " tandem-visually-hidden";
    node.append(el("span", { className: `tandem-author${hidden}`, text: item.author }));
  }
  const body = el("p", { className: "tandem-bubble" });
  if (item.sender === "bot") body.append(...botText(item.text));
  else body.textContent = item.text;
  node.append(body);
  const delivery = DELIVERY_NOTES[item.delivery];
  if (delivery) node.append(el("span", { className: "tandem-delivery", text: delivery }));
  return node;
}

export class ChatView {
  /**
   * @param {{title: string}} settings
   * @param {object} actions `open()`, `close()`, `send(text)`, `quickReply(reply)`, `typed()`,
   *   `rate(rating)`, `leaveEmail(email)`: what the customer did.
   */
  constructor(settings, actions) {
    this.actions = actions;
    this._drawn = new Map(); // message key -> {node, signature}
    this._drawnFrom = { messages: null, pending: null }; // the state's lists drawn last
    this._offered = "[]"; // the quick replies on screen, as JSON
    this.badge = el("span", { className: "tandem-badge", "aria-hidden": "true" });
    this.launcher = button(
      {
        className: "tandem-launcher",
        "aria-label": "Open chat",
        "aria-expanded": "false",
        "aria-controls": "tandem-panel",
      },
      () => this.actions.open(),
      [icon(CHAT_ICON), this.badge],
    );
    this.panel = el(
      "div",
      {
        className: "tandem-panel",
        id: "tandem-panel",
        role: "dialog",
        "aria-labelledby": "tandem-title",
      },
      [this._header(settings.title), ...this._body(), this._composer()],
    );
    this.panel.hidden = true;
    // On a phone the panel covers the page, so it is a modal dialog there: Tab stays inside.
    this.phone = window.matchMedia(PHONE_SCREEN);
    const setModal = () => this.panel.setAttribute("aria-modal", String(this.phone.matches));
    setModal();
    this.phone.addEventListener("change", setModal);
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.actions.close();
      if (event.key === "Tab" && this.phone.matches) this._keepFocusInside(event);
    });
    this.root = el("div", { className: "tandem-root" }, [this.launcher, this.panel]);
  }

  /** Tab from the panel's last control goes to its first, Shift+Tab from the first to the last. */
  _keepFocusInside(event) {
    const controls = [...this.panel.querySelectorAll("a[href], button, input")].filter(
      (control) => !control.closest("[hidden]"),
    );
    const edge = event.shiftKey ? controls[0] : controls[controls.length - 1];
    if (document.activeElement !== edge) return;
    event.preventDefault();
    (event.shiftKey ? controls[controls.length - 1] : controls[0]).focus();
  }

  _header(title) {
    this.subtitle = el("p", { className: "tandem-subtitle" });
    const close = button(
      { className: "tandem-close", "aria-label": "Close chat" },
      () => this.actions.close(),
      [icon(CLOSE_ICON)],
    );
    const heading = el("div", { className: "tandem-heading" }, [
      el("h2", { className: "tandem-title", id: "tandem-title", text: title }),
      this.subtitle,
    ]);
    return el("div", { className: "tandem-header" }, [heading, close]);
  }

  /** The status line, the conversation (with what the customer can answer), the notice. */
  _body() {
    this.status = el("p", { className: "tandem-status", role: "status" });
    this.list = el("ul", { className: "tandem-messages" });
    this.quickReplies = el("div", {
      className: "tandem-quick-replies",
      role: "group",
      "aria-label": "Suggested replies",
    });
    this.typing = el("p", { className: "tandem-typing" });
    this.rating = this._rating();
    this.emailForm = this._emailForm();
    this.log = el(
      "div",
      { className: "tandem-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" },
      [
        el("p", { className: "tandem-intro", text: INTRO }),
        this.list,
        this.quickReplies,
        this.typing,
        this.rating,
        this.emailForm,
      ],
    );
    this.notice = el("p", { className: "tandem-notice", role: "alert" });
    return [this.status, this.log, this.notice];
  }

  _composer() {
    this.input = el("input", {
      className: "tandem-input",
      type: "text",
      "aria-label": "Message",
      placeholder: "Type your message…",
      autocomplete: "off",
      maxlength: String(MAX_MESSAGE_CHARS),
    });
    this.input.addEventListener("input", () => this.actions.typed());
    const form = el("form", { className: "tandem-composer" }, [
      this.input,
      el("button", { className: "tandem-send", type: "submit", text: "Send" }),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.input.value.trim()) return;
      this.actions.send(this.input.value);
      this.input.value = "";
    });
    return form;
  }

  _rating() {
    const label = "Rate this chat: 1 (poor) to 5 (excellent)";
    const buttons = RATINGS.map((rating) =>
      button(
        { className: "tandem-rate", text: String(rating), "aria-label": `Rate ${rating} of 5` },
        () => {
          this.actions.rate(rating);
          this.input.focus();
        },
      ),
    );
    return el(
      "div",
      { className: "tandem-rating", role: "group", "aria-labelledby": "tandem-rating-label" },
      [
        el("p", { className: "tandem-rating-label", id: "tandem-rating-label", text: label }),
        el("div", { className: "tandem-rating-buttons" }, buttons),
      ],
    );
  }

  _emailForm() {
    const input = el("input", {
      className: "tandem-input",
      type: "email",
      id: "tandem-email",
      autocomplete: "email",
      required: "",
    });
    this.emailError = el("p", { className: "tandem-error", role: "alert" });
    const form = el("form", { className: "tandem-email", "aria-label": "Leave your email" }, [
      el("label", {
        className: "tandem-email-label",
        for: "tandem-email",
        text: "Your email address",
      }),
      el("div", { className: "tandem-email-row" }, [
        input,
        el("button", { className: "tandem-send", type: "submit", text: "Email me" }),
      ]),
      this.emailError,
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (input.value.trim()) this.actions.leaveEmail(input.value);
    });
    return form;
  }

  /** Put the focus in the message box (the panel just opened). */
  focusInput() {
    this.input.focus();
  }

  /** Give the focus back to the launcher (after the panel closed). */
  focusLauncher() {
    this.launcher.focus();
  }

  /** Draw `state` (from ChatSession) with `panel` ({open, seenSeq}: what the facade keeps). */
  render(state, panel) {
    this._renderLauncher(state, panel);
    this.panel.hidden = !panel.open;
    this.root.dataset.connection = state.connection;
    this.subtitle.textContent = SUBTITLES[state.mode](state);
    this._show(this.status, this._statusLine(state));
    this._show(this.notice, state.notice);

    const log = this.log;
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < STICK_TO_BOTTOM_PX;
    // Typing, connection and notice changes leave both lists as they were: nothing to redraw.
    if (state.messages !== this._drawnFrom.messages || state.pending !== this._drawnFrom.pending) {
      this._drawnFrom = { messages: state.messages, pending: state.pending };
      this._renderMessages(messageItems(state));
    }
    this._renderQuickReplies(state);
    this._show(this.typing, state.agentTyping && `${state.agentName || "Your agent"} is typing…`);
    const status = latestStatus(state.messages);
    this.rating.hidden = status !== "closed";
    this.emailForm.hidden = !(status === "offline" && state.mode !== "closed");
    this.emailError.textContent = state.emailError || "";
    // Follow the conversation, unless the customer scrolled back to read.
    if (atEnd || state.pending.length) log.scrollTop = log.scrollHeight;
  }

  _renderLauncher(state, panel) {
    const unread = panel.open ? 0 : unreadCount(state.messages, panel.seenSeq);
    const messages = unread === 1 ? "1 unread message" : `${unread} unread messages`;
    this.launcher.hidden = panel.open;
    this.launcher.setAttribute("aria-expanded", String(panel.open));
    this.launcher.setAttribute("aria-label", unread ? `Open chat, ${messages}` : "Open chat");
    this._show(this.badge, unread && String(unread));
  }

  _statusLine(state) {
    if (state.connection === "connecting") return "Connecting…";
    if (state.connection === "reconnecting") return "Reconnecting…";
    if (state.connection === "refused") return "The chat is not available right now.";
    if (state.mode !== "queued") return "";
    return describeQueue(state.queue?.position, state.queue?.waitSeconds);
  }

  /** Show `text` in `node`, or hide the node when there is none. */
  _show(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  _renderMessages(items) {
    const keys = new Set(items.map((item) => item.key));
    for (const [key, drawn] of this._drawn) {
      if (!keys.has(key)) {
        drawn.node.remove();
        this._drawn.delete(key);
      }
    }
    // Walk the list once: keep nodes whose line is unchanged, replace or move the others.
    let cursor = this.list.firstChild;
    for (const item of items) {
      const signature = JSON.stringify(item);
      let drawn = this._drawn.get(item.key);
      if (!drawn || drawn.signature !== signature) {
        const node = messageNode(item);
        if (drawn) drawn.node.replaceWith(node);
        if (drawn && cursor === drawn.node) cursor = node;
        drawn = { node, signature };
        this._drawn.set(item.key, drawn);
      }
      if (drawn.node === cursor) cursor = cursor.nextSibling;
      else this.list.insertBefore(drawn.node, cursor);
    }
  }

  /** The buttons of the last message, until the customer answers or the chat ends. */
  _renderQuickReplies(state) {
    const last = state.messages[state.messages.length - 1];
    const answered = state.pending.length > 0 || state.mode === "closed";
    const offered = last && !answered ? last.quickReplies : [];
    const signature = JSON.stringify(offered);
    if (signature !== this._offered) {
      this._offered = signature;
      this.quickReplies.replaceChildren(
        ...offered.map((reply) =>
          button({ className: "tandem-quick-reply", text: reply.title }, () => {
            this.actions.quickReply(reply);
            this.input.focus();
          }),
        ),
      );
    }
    this.quickReplies.hidden = !offered.length;
  }
}
