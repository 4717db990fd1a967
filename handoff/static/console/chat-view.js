// One chat panel: the transcript (role="log"), the customer profile, the reply box and the
// chat's actions. It renders from a Chat and calls back; it never touches the socket.
import { chatSummary, clockTime, customerName, pastConversation, profileRows, speaker } from "./format.js";
import { ReplyBox } from "./reply-box.js";

export class ChatPanel {
  /**
   * @param {Chat} chat
   * @param {{myName: string, onSend, onNote, onTyping, onTransfer, onHandBack, onClose,
   *          onSeen}} handlers
   */
  constructor(chat, handlers) {
    this.chat = chat;
    this.handlers = handlers;
    // The customer's lines that arrived while the agent was elsewhere.
    this.unread = 0;
    const root = document.getElementById("chat-template").content.firstElementChild.cloneNode(true);
    this.element = root;
    this.parts = {
      title: root.querySelector(".chat-title"),
      badge: root.querySelector(".new-badge"),
      meta: root.querySelector(".chat-meta"),
      profile: root.querySelector(".profile-list"),
      history: root.querySelector(".history"),
      transcript: root.querySelector(".transcript"),
      typing: root.querySelector(".typing"),
      problem: root.querySelector(".chat-problem"),
      form: root.querySelector(".reply-form"),
      reply: root.querySelector(".reply"),
    };
    // A note never tells the customer anyone is typing, so switching to it ends "typing" at once.
    this.box = new ReplyBox(this.parts.form, { onModeChange: (note) => note && this._stopTyping() });
    const name = customerName(chat.conversation);
    root.setAttribute("aria-label", `Chat with ${name}`);
    root.dataset.conversation = chat.id;
    this.parts.title.textContent = name;
    this.parts.transcript.setAttribute("aria-label", `Transcript with ${name}`);
    this.renderConversation();
    this.appendLines(chat.lines);
    this._wire();
  }

  get name() {
    return customerName(this.chat.conversation);
  }

  /** The reason, skill and profile, which change only with the conversation itself. */
  renderConversation() {
    const { conversation } = this.chat;
    this.parts.meta.textContent = chatSummary(conversation);
    this.parts.profile.replaceChildren();
    for (const [label, value] of profileRows(conversation)) {
      const term = document.createElement("dt");
      term.textContent = label;
      const detail = document.createElement("dd");
      detail.textContent = value;
      if (label === "Identity") detail.className = value === "Verified" ? "verified" : "unverified";
      this.parts.profile.append(term, detail);
    }
  }

  /** A verified customer's past conversations and tickets, newest first; hidden when none. */
  showHistory(conversations) {
    const list = this.parts.history.querySelector(".history-list");
    list.replaceChildren(...conversations.map((past) => {
      const item = document.createElement("li");
      item.textContent = pastConversation(past);
      return item;
    }));
    this.parts.history.hidden = conversations.length === 0;
  }

  /** Show the newest line: called once the panel is on the page (before, it has no height). */
  scrollToNewest() {
    const log = this.parts.transcript;
    log.scrollTop = log.scrollHeight;
  }

  /** Add transcript lines (already in order and new). The view follows new lines only if the
   * agent was at the bottom (or wrote the line): reading older lines, they stay where they are. */
  appendLines(lines) {
    const log = this.parts.transcript;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    for (const line of lines) log.append(lineElement(line, this.handlers.myName));
    if (atBottom || lines.some((line) => line.kind === "agent" || line.kind === "note")) {
      log.scrollTop = log.scrollHeight;
    }
  }

  setTyping(typing) {
    clearTimeout(this._typingTimer);
    this.parts.typing.textContent = typing ? `${this.name} is typing…` : "";
    // A lost "stopped typing" must not leave the indicator on for ever.
    if (typing) this._typingTimer = setTimeout(() => this.setTyping(false), 10000);
  }

  showProblem(message) {
    this.parts.problem.textContent = message || "";
  }

  /** Flag the chat for attention ("New chat", "New message") until the agent looks at it;
   * `unread` more of the customer's lines wait there. */
  flag(label, unread = 0) {
    this.unread += unread;
    this.parts.badge.textContent = label;
    this.parts.badge.hidden = false;
    this.element.classList.add("attention");
  }

  get flagged() {
    return this.element.classList.contains("attention");
  }

  unflag() {
    if (!this.flagged) return;
    this.unread = 0;
    this.parts.badge.hidden = true;
    this.element.classList.remove("attention");
    this.handlers.onSeen(this);
  }

  hasFocus() {
    return this.element.contains(document.activeElement);
  }

  /** Bring the chat into view with the focus in its reply box (which marks it seen). */
  focusReply() {
    this.element.scrollIntoView({ block: "nearest" });
    this.parts.reply.focus();
  }

  /** Whether the agent (`myName`) has written to the customer in this chat yet. */
  answeredBy(myName) {
    return this.chat.lines.some((line) => line.kind === "agent" && line.sender === myName);
  }

  /** Put text in the reply box at the cursor (the canned responses' picker). */
  insert(text) {
    this.box.insert(text);
  }

  /** Writing a note (for agents only) rather than a reply to the customer. */
  get noteMode() {
    return this.box.noteMode;
  }

  setNoteMode(on) {
    this.box.setNoteMode(on);
  }

  /** What the reply box's text goes to: the customer, or the chat's notes. */
  _submit() {
    if (this.noteMode) this._deliver(this.handlers.onNote, false);
    else this._deliver(this.handlers.onSend, true);
  }

  _wire() {
    const { form, reply } = this.parts;
    const el = this.element;
    el.addEventListener("focusin", () => this.unflag());
    el.addEventListener("pointerdown", () => this.unflag());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
    reply.addEventListener("keydown", (event) => {
      // Enter sends (or adds the note), Shift+Enter is a new line.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this._submit();
      }
    });
    reply.addEventListener("input", () => {
      if (!this.noteMode) this._typing();
    });
    el.querySelector(".transfer").addEventListener("click", () => this.handlers.onTransfer(this));
    el.querySelector(".hand-back").addEventListener("click", () => this.handlers.onHandBack(this));
    el.querySelector(".close-chat").addEventListener("click", () => this.handlers.onClose(this));
  }

  /** Hand the reply box's text to `callback`; a message to the customer ends "typing" there
   * by itself (one event fewer against the socket's rate limit), a note does not. */
  _deliver(callback, endsTyping) {
    const text = this.box.text;
    if (!text) {
      this.showProblem("Write something first.");
      this.parts.reply.focus();
      return;
    }
    this.showProblem("");
    callback(this, text);
    this.parts.reply.value = "";
    if (endsTyping) {
      clearTimeout(this._stopTimer);
      this._isTyping = false;
    } else {
      this._stopTyping();
    }
    this.parts.reply.focus();
  }

  /** Tell the customer the agent is typing; "stopped" after 3 s without a key. */
  _typing() {
    if (!this._isTyping) {
      this._isTyping = true;
      this.handlers.onTyping(this, true);
    }
    clearTimeout(this._stopTimer);
    this._stopTimer = setTimeout(() => this._stopTyping(), 3000);
  }

  _stopTyping() {
    clearTimeout(this._stopTimer);
    if (this._isTyping) {
      this._isTyping = false;
      this.handlers.onTyping(this, false);
    }
  }
}

/** Something someone said, as text: who, when (`at`, shown as `shownAt`), what. Never HTML. */
export function saidElement(className, who, at, shownAt, said) {
  const item = document.createElement("p");
  item.className = className;
  const speakerPart = document.createElement("span");
  speakerPart.className = "speaker";
  speakerPart.textContent = who;
  const when = document.createElement("time");
  when.className = "when";
  when.dateTime = new Date(at * 1000).toISOString();
  when.textContent = shownAt;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = said;
  item.append(speakerPart, " ", when, " ", text);
  return item;
}

/** One transcript line: who, at what time, what. */
export function lineElement(line, myName) {
  const item = saidElement(`line line-${line.kind}`, speaker(line, myName), line.at, clockTime(line.at), line.text);
  item.dataset.seq = String(line.seq);
  return item;
}
