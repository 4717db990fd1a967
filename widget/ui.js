// The widget on the page: a launcher button and a chat panel, rendered from the session's state.
//
// Everything people write goes into the page as text (textContent, createElement); the only
// markup made from a message is an https link in a bot's text. This module never touches the
// socket: what the customer does goes to the `actions` the facade passes in.

import { MAX_MESSAGE_CHARS, STICK_TO_BOTTOM_PX } from "./constants.js";
import { describeQueue, latestStatus, linkParts, shownText, unreadCount } from "./messages.js";

const SVG = "http://www.w3.org/2000/svg";
const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
const CLOSE_ICON = "M6 6l12 12M18 6L6 18";
const AUTHORS = { bot: "Assistant", customer: "You" };
const RATINGS = [1, 2, 3, 4, 5];

/** `document.createElement` with a class, attributes and text; never parses HTML. */
function el(tag, { className, text, ...attributes } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
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
  const confirmed = state.messages.map((message, index) => ({
    key: `seq-${message.seq}`,
    seq: message.seq,
    sender: message.sender,
    text: shownText(state.messages, index),
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
  if (item.delivery === "waiting") {
    node.append(el("span", { className: "tandem-delivery", text: "Waiting for the connection…" }));
  } else if (item.delivery === "failed") {
    node.append(el("span", { className: "tandem-delivery", text: "Not sent" }));
  }
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
    this._build(settings.title);
  }

  _build(title) {
    this.badge = el("span", { className: "tandem-badge", "aria-hidden": "true" });
    this.launcher = el(
      "button",
      {
        className: "tandem-launcher",
        type: "button",
        "aria-label": "Open chat",
        "aria-expanded": "false",
        "aria-controls": "tandem-panel",
      },
      [icon(CHAT_ICON), this.badge],
    );
    this.launcher.addEventListener("click", () => this.actions.open());

    const closeButton = el("button", { className: "tandem-close", type: "button", "aria-label": "Close chat" }, [
      icon(CLOSE_ICON),
    ]);
    closeButton.addEventListener("click", () => this.actions.close());
    this.subtitle = el("p", { className: "tandem-subtitle" });
    const header = el("div", { className: "tandem-header" }, [
      el("div", { className: "tandem-heading" }, [
        el("h2", { className: "tandem-title", id: "tandem-title", text: title }),
        this.subtitle,
      ]),
      closeButton,
    ]);

    this.status = el("p", { className: "tandem-status", role: "status" });
    this.list = el("ul", { className: "tandem-messages" });
    this.quickReplies = el("div", { className: "tandem-quick-replies", role: "group", "aria-label": "Suggested replies" });
    this.typing = el("p", { className: "tandem-typing" });
    this.rating = this._buildRating();
    this.emailForm = this._buildEmailForm();
    this.log = el("div", { className: "tandem-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" }, [
      el("p", {
        className: "tandem-intro",
        text: "Hello! Ask us anything. Our assistant answers right away, and a person can take over whenever you need one.",
      }),
      this.list,
      this.quickReplies,
      this.typing,
      this.rating,
      this.emailForm,
    ]);
    this.notice = el("p", { className: "tandem-notice", role: "alert" });

    this.input = el("input", {
      className: "tandem-input",
      type: "text",
      "aria-label": "Message",
      placeholder: "Type your message…",
      autocomplete: "off",
      maxlength: String(MAX_MESSAGE_CHARS),
    });
    this.input.addEventListener("input", () => this.actions.typed());
    const composer = el("form", { className: "tandem-composer" }, [
      this.input,
      el("button", { className: "tandem-send", type: "submit", text: "Send" }),
    ]);
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.input.value.trim()) return;
      this.actions.send(this.input.value);
      this.input.value = "";
    });

    this.panel = el(
      "div",
      { className: "tandem-panel", id: "tandem-panel", role: "dialog", "aria-labelledby": "tandem-title" },
      [header, this.status, this.log, this.notice, composer],
    );
    this.panel.hidden = true;
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.actions.close();
    });
    this.root = el("div", { className: "tandem-root" }, [this.launcher, this.panel]);
  }

  _buildRating() {
    const buttons = RATINGS.map((rating) => {
      const button = el("button", {
        className: "tandem-rate",
        type: "button",
        text: String(rating),
        "aria-label": `Rate ${rating} of 5`,
      });
      button.addEventListener("click", () => {
        this.actions.rate(rating);
        this.input.focus();
      });
      return button;
    });
    return el("div", { className: "tandem-rating", role: "group", "aria-labelledby": "tandem-rating-label" }, [
      el("p", { className: "tandem-rating-label", id: "tandem-rating-label", text: "Rate this chat: 1 (poor) to 5 (excellent)" }),
      el("div", { className: "tandem-rating-buttons" }, buttons),
    ]);
  }

  _buildEmailForm() {
    const input = el("input", {
      className: "tandem-input",
      type: "email",
      id: "tandem-email",
      autocomplete: "email",
      required: "",
    });
    this.emailError = el("p", { className: "tandem-error", role: "alert" });
    const form = el("form", { className: "tandem-email", "aria-label": "Leave your email" }, [
      el("label", { className: "tandem-email-label", for: "tandem-email", text: "Your email address" }),
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

  /**
   * Draw `state` (from ChatSession) with `panel` ({open, seenSeq}: what the facade keeps).
   */
  render(state, panel) {
    const unread = panel.open ? 0 : unreadCount(state.messages, panel.seenSeq);
    this.launcher.hidden = panel.open;
    this.launcher.setAttribute("aria-expanded", String(panel.open));
    this.launcher.setAttribute(
      "aria-label",
      unread ? `Open chat, ${unread} unread ${unread === 1 ? "message" : "messages"}` : "Open chat",
    );
    this.badge.textContent = unread ? String(unread) : "";
    this.badge.hidden = !unread;
    this.panel.hidden = !panel.open;

    this.subtitle.textContent = {
      bot: "Our assistant replies right away",
      queued: "Waiting for a person",
      assigned: `You're chatting with ${state.agentName || "an agent"}`,
      closed: "This chat has ended",
    }[state.mode];
    this.status.textContent = {
      connecting: "Connecting…",
      reconnecting: "Reconnecting…",
      refused: "The chat is not available right now.",
      online: state.mode === "queued" ? describeQueue(state.queue?.position, state.queue?.waitSeconds) : "",
    }[state.connection];
    this.status.hidden = !this.status.textContent;
    this.root.dataset.connection = state.connection;

    const stick = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < STICK_TO_BOTTOM_PX;
    this._renderMessages(messageItems(state));
    this._renderQuickReplies(state);
    this.typing.textContent = state.agentTyping ? `${state.agentName || "Your agent"} is typing…` : "";
    this.typing.hidden = !state.agentTyping;
    const status = latestStatus(state.messages);
    this.rating.hidden = status !== "closed";
    this.emailForm.hidden = !(status === "offline" && state.mode !== "closed");
    this.emailError.textContent = state.emailError || "";
    this.notice.textContent = state.notice || "";
    this.notice.hidden = !state.notice;
    if (stick || state.pending.length) this.log.scrollTop = this.log.scrollHeight;
  }

  _renderMessages(items) {
    const keys = new Set(items.map((item) => item.key));
    for (const [key, drawn] of this._drawn) {
      if (!keys.has(key)) {
        drawn.node.remove();
        this._drawn.delete(key);
      }
    }
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

  _renderQuickReplies(state) {
    const last = state.messages[state.messages.length - 1];
    const offered = last && !state.pending.length && state.mode !== "closed" ? last.quickReplies : [];
    const signature = JSON.stringify(offered);
    if (this.quickReplies.dataset.signature !== signature) {
      this.quickReplies.dataset.signature = signature;
      this.quickReplies.replaceChildren(
        ...offered.map((reply) => {
          const button = el("button", { className: "tandem-quick-reply", type: "button", text: reply.title });
          button.addEventListener("click", () => {
            this.actions.quickReply(reply);
            this.input.focus();
          });
          return button;
        }),
      );
    }
    this.quickReplies.hidden = !offered.length;
  }
}
