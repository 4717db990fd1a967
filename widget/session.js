// The conversation as the customer's widget sees it, kept in step with the gateway.
//
// The only module that knows the customer protocol's events (docs/protocol.md): it turns
// them into one state object, and the customer's actions into events. The UI renders that
// state and never sees the socket; widget/socket.js carries the events.

import { TYPING_IDLE_MS } from "./constants.js";
import { mergeMessages, toMessage } from "./messages.js";
import { newMessageId } from "./socket.js";

// Where each status change (`handoff` event) leaves the conversation.
const MODE_AFTER = {
  queued: "queued",
  waiting: "queued",
  requeued: "queued",
  transferred: "queued",
  assigned: "assigned",
  returned_to_bot: "bot",
  closed: "closed",
  ticket: "closed",
};
const MODES = new Set(["bot", "queued", "assigned", "closed"]);

export class ChatSession {
  /**
   * @param {{connection: object, store: object, customerToken?: string|null}} options
   *   `connection` is a widget/socket.js Connection; `store` a widget/storage.js SessionStore.
   */
  constructor({ connection, store, customerToken = null }) {
    this.connection = connection;
    this.store = store;
    this.customerToken = customerToken;
    this._resumeSecret = store.resumeSecret();
    this.state = {
      sessionId: store.sessionId(),
      connection: "connecting", // "online", "reconnecting" or "refused"
      mode: "bot", // who owns the conversation: "bot", "queued", "assigned", "closed"
      messages: [], // confirmed by the gateway, in sequence order, each sequence number once
      // Typed by the customer, not yet confirmed: {id, messageId (the client message id the
      // gateway acknowledges), text (shown), payload (sent), sentOn (the connection number
      // that carried it; null while queued), failed (why)}. The gateway's acknowledgement
      // replaces the line by the text it stored, card numbers masked.
      pending: [],
      lastSeq: 0, // the last sequence number seen: resuming asks for what came after it
      queue: null, // {position, waitSeconds} while queued, once the gateway has said
      agentName: null,
      agentTyping: false,
      notice: null, // the gateway's latest refusal, in its words
      emailError: null,
    };
    this._listeners = [];
    this._connections = 0;
    this._nextPendingId = 1;
    this._typing = false;
    this._typingTimer = null;
    this._listen();
  }

  /** Call `listener(state)` now and after every change. */
  subscribe(listener) {
    this._listeners.push(listener);
    listener(this.state);
  }

  start() {
    this.connection.connect();
  }

  // --- what the customer does ----------------------------------------------------------

  /** Send a message; a quick reply shows `text` (its title) and sends `payload`. */
  send(text, payload = text) {
    const shown = text.trim();
    const message = payload.trim();
    if (!shown || !message) return;
    this._stopTyping();
    // Sent now, or queued by the connection until it is back.
    const messageId = newMessageId();
    const sentNow = this.connection.emit("user_uttered", { message, message_id: messageId });
    const item = {
      id: this._nextPendingId++,
      messageId,
      text: shown,
      payload: message,
      sentOn: sentNow ? this._connections : null,
      failed: null,
    };
    this._update({ pending: [...this.state.pending, item], notice: null });
  }

  /** The customer pressed a key in the message box: their agent sees them typing. */
  typed() {
    if (this.state.mode !== "assigned" || !this.connection.connected) return;
    clearTimeout(this._typingTimer);
    this._typingTimer = setTimeout(() => this._stopTyping(), TYPING_IDLE_MS);
    if (!this._typing) {
      this._typing = true;
      this.connection.emit("typing", { typing: true });
    }
  }

  // A rating and an email carry ids too: each is applied once, however often it arrives.
  rate(rating) {
    this.connection.emit("csat", { rating, message_id: newMessageId() });
  }

  leaveEmail(email) {
    this._update({ emailError: null });
    this.connection.emit("leave_email", { email: email.trim(), message_id: newMessageId() });
  }

  _stopTyping() {
    clearTimeout(this._typingTimer);
    if (!this._typing) return;
    this._typing = false;
    if (this.connection.connected) this.connection.emit("typing", { typing: false });
  }

  // --- what the gateway says -------------------------------------------------------------

  _listen() {
    const handlers = {
      open: this._opened,
      close: this._lost,
      reconnecting: this._lost,
      refused: this._refused,
      session_confirm: this._confirmed,
      history: this._history,
      bot_uttered: this._said,
      user_message: this._said,
      handoff: this._statusChanged,
      typing: this._agentTyping,
      error: this._eventRefused,
    };
    for (const [event, handler] of Object.entries(handlers)) {
      this.connection.on(event, (...args) => handler.apply(this, args));
    }
  }

  _opened() {
    this._connections += 1;
    this._typing = false;
    // What was typed while down goes out on this connection, right after this handler.
    const pending = this.state.pending.map((item) =>
      item.sentOn === null && !item.failed ? { ...item, sentOn: this._connections } : item,
    );
    this.connection.emit("session_request", this._sessionRequest());
    this._update({ connection: "online", pending });
  }

  _sessionRequest() {
    // `handoff_events`: this widget shows status changes itself, not as the bot's text.
    const request = {
      session_id: this.state.sessionId,
      last_seq: this.state.lastSeq,
      handoff_events: true,
    };
    if (this._resumeSecret) request.resume_secret = this._resumeSecret;
    if (this.customerToken) request.customer_token = this.customerToken;
    return request;
  }

  _lost() {
    if (this.state.connection !== "refused") this._update({ connection: "reconnecting" });
  }

  _refused(message) {
    console.error(`Tandem: the gateway refused the chat: ${message}`);
    this._update({ connection: "refused" });
  }

  /** `session_confirm <id>`, and for a new conversation `{resume_secret}` after the id. */
  _confirmed(sessionId, extra) {
    if (typeof sessionId !== "string" || sessionId === this.state.sessionId) return;
    // A new conversation: the first visit, or ours could not be resumed (no longer there,
    // or no longer ours, e.g. the website's customer changed).
    const secret = extra && typeof extra.resume_secret === "string" ? extra.resume_secret : null;
    this._resumeSecret = secret;
    this.store.setSession(sessionId, secret);
    this._update({ sessionId, messages: [], lastSeq: 0 });
  }

  _history(data) {
    if (!data || !Array.isArray(data.messages)) return;
    const changes = MODES.has(data.mode) ? { mode: data.mode } : {};
    if (data.queue && typeof data.queue === "object") {
      // Still waiting after a reload: where we stand, until the next `handoff` update.
      changes.queue = { position: data.queue.position ?? null, waitSeconds: data.queue.wait_seconds ?? null };
    }
    if (Number.isInteger(data.last_seq) && data.last_seq < this.state.lastSeq) {
      // The gateway's conversation is younger than ours (its state was lost): replay it all.
      this._update({ messages: [], lastSeq: 0 });
      this.connection.emit("session_request", { ...this._sessionRequest(), last_seq: 0 });
      return;
    }
    this._accept(data.messages, changes);
    if (Number.isInteger(data.last_seq) && data.last_seq > this.state.lastSeq) {
      this._update({ lastSeq: data.last_seq }); // internal notes take numbers we never see
    }
    this._resendUnconfirmed();
  }

  /**
   * Messages sent on an earlier connection that the replay did not contain were lost with
   * that connection (a socket can die silently): send them again on this one.
   */
  _resendUnconfirmed() {
    let resent = false;
    const pending = this.state.pending.map((item) => {
      if (item.failed || item.sentOn === null || item.sentOn >= this._connections) return item;
      // The same id: the gateway answers a line it already stored instead of storing it again.
      this.connection.emit("user_uttered", { message: item.payload, message_id: item.messageId });
      resent = true;
      return { ...item, sentOn: this._connections };
    });
    if (resent) this._update({ pending });
  }

  _said(data) {
    const changes = {};
    const metadata = data?.metadata ?? {};
    if (metadata.sender === "agent") {
      changes.agentTyping = false;
      if (typeof metadata.agent_name === "string") changes.agentName = metadata.agent_name;
    }
    if (metadata.sender === "customer" && this.state.mode === "closed") {
      changes.mode = "bot"; // writing after the end starts over with the bot
    }
    this._accept([data], changes);
  }

  _statusChanged(data) {
    if (!data || typeof data.status !== "string") return;
    const changes = {};
    if (Object.hasOwn(MODE_AFTER, data.status)) changes.mode = MODE_AFTER[data.status];
    if (data.status === "queued") {
      changes.queue = { position: data.position ?? null, waitSeconds: data.wait_seconds ?? null };
    }
    if (data.status === "assigned" && typeof data.agent === "string") {
      changes.agentName = data.agent;
    }
    // Queue positions are not part of the transcript; every other change is, with its number.
    if (data.metadata?.seq === undefined) this._update(changes);
    else this._accept([data], changes);
  }

  _agentTyping(data) {
    if (data && data.sender === "agent") this._update({ agentTyping: data.typing === true });
  }

  _eventRefused(error) {
    if (!error || typeof error.message !== "string") return;
    if (error.code === "invalid_customer_token" || error.event === "typing") {
      console.warn(`Tandem: ${error.message}`);
      return;
    }
    if (error.event === "leave_email") {
      this._update({ emailError: error.message });
      return;
    }
    let { pending } = this.state;
    if (error.event === "user_uttered") {
      // The gateway answers a connection's messages in order: this is the oldest one waiting.
      const index = pending.findIndex((item) => !item.failed && item.sentOn !== null);
      if (index !== -1) {
        const failed = { ...pending[index], failed: error.message };
        pending = pending.map((item, i) => (i === index ? failed : item));
      }
    }
    this._update({ pending, notice: error.message });
  }

  /**
   * Add messages from the gateway, each number once; the lines they acknowledge (by client
   * message id, also when the number is known already) leave `pending`.
   */
  _accept(raw, changes = {}) {
    const known = new Set(this.state.messages.map((message) => message.seq));
    const incoming = [];
    const acknowledged = new Set();
    for (const data of raw) {
      const message = toMessage(data);
      if (message === null) console.warn("Tandem: ignored a malformed message", data);
      else if (!known.has(message.seq)) incoming.push(message);
      const messageId = data?.metadata?.message_id;
      if (message && message.sender === "customer" && typeof messageId === "string") {
        acknowledged.add(messageId);
      }
    }
    const pending = this.state.pending.filter((item) => !acknowledged.has(item.messageId));
    this._update({
      messages: mergeMessages(this.state.messages, incoming),
      pending,
      lastSeq: Math.max(this.state.lastSeq, ...incoming.map((message) => message.seq)),
      ...changes,
    });
  }

  _update(changes) {
    const next = { ...this.state, ...changes };
    if (next.mode !== "queued") next.queue = null;
    if (next.mode !== "assigned") next.agentTyping = false;
    this.state = next;
    for (const listener of this._listeners) listener(next);
  }
}
