// The one module that knows the agent namespace's event names (docs/protocol.md, "Agents").
// It wraps the shared Connection from /widget/socket.js; the session cookie logs the socket in.
// Each action on a chat goes with a new message id, and goes again with the same id on the next
// connection until the gateway answers it: the gateway applies it once, whatever the number of
// times it arrives, and answers a repeat as it answered the first (docs/protocol.md, "Exactly
// once").
import { Connection, newMessageId } from "/widget/socket.js";

// Server events the console listens to, and the connection's own events.
// No `resume`: the `state` sent on every (re)connection has each chat's whole transcript.
export const SERVER_EVENTS = [
  "state", "assigned", "message", "typing", "queue", "released", "status", "session_ended",
  "error",
];
export const CONNECTION_EVENTS = ["open", "close", "reconnecting", "refused"];
// Refusals that ask for the same action again later, rather than answer it.
const RETRIED = ["in_progress", "unavailable"];
// The events that answer an action, and where each carries the action's message id.
const ANSWERS = {
  message: (line) => line?.data?.message_id,
  assigned: (chat) => chat?.message_id,
  released: (released) => released?.message_id,
};

export class AgentSocket {
  constructor(url = window.location.origin) {
    this.connection = new Connection({ url, namespace: "/agent", auth: null });
    // Actions not answered yet, by message id, oldest first: {event, data, sentOn (the number
    // of the connection that carried it; null while it waits for the next one)}.
    this._unanswered = new Map();
    this._connections = 0;
    this.connection.on("open", () => this._resendUnanswered());
    for (const [event, messageIdOf] of Object.entries(ANSWERS)) {
      this.connection.on(event, (data) => this._unanswered.delete(messageIdOf(data)));
    }
    // A refusal answers too (the console shows it), except "still being done" and "send it
    // again": those go again on the next connection.
    this.connection.on("error", (error) => {
      if (!RETRIED.includes(error?.code)) this._unanswered.delete(error?.message_id);
    });
  }

  /** Send an action on a chat with a new message id, and keep it until it is answered. */
  _act(event, data) {
    const payload = { ...data, message_id: newMessageId() };
    const sentNow = this.connection.emit(event, payload);
    this._unanswered.set(payload.message_id, {
      event,
      data: payload,
      sentOn: sentNow ? this._connections : null,
    });
  }

  /**
   * A new connection: actions an earlier one carried that were never answered may have been
   * lost with it, so they go again, in order, with their own ids (those the connection had
   * queued while down go right after this, by themselves).
   */
  _resendUnanswered() {
    this._connections += 1;
    for (const action of this._unanswered.values()) {
      if (action.sentOn !== null && action.sentOn < this._connections) {
        this.connection.emit(action.event, action.data);
      }
      action.sentOn = this._connections;
    }
  }

  /** `handler(data)` for a server event or a connection event. */
  on(event, handler) {
    if (!SERVER_EVENTS.includes(event) && !CONNECTION_EVENTS.includes(event)) {
      throw new Error(`The agent socket has no event "${event}".`);
    }
    this.connection.on(event, handler);
    return this;
  }

  connect() {
    this.connection.connect();
  }

  setStatus(status) {
    this.connection.emit("set_status", { status });
  }

  accept(conversationId) {
    this._act("accept", { conversation_id: conversationId });
  }

  send(conversationId, text) {
    this._act("send", { conversation_id: conversationId, text });
  }

  typing(conversationId, typing) {
    this.connection.emit("typing", { conversation_id: conversationId, typing });
  }

  note(conversationId, text) {
    this._act("note", { conversation_id: conversationId, text });
  }

  transferToAgent(conversationId, agentId) {
    this._act("transfer", { conversation_id: conversationId, to_agent: agentId });
  }

  transferToSkill(conversationId, skill) {
    this._act("transfer", { conversation_id: conversationId, to_skill: skill });
  }

  handBack(conversationId, resume) {
    this._act("hand_back", { conversation_id: conversationId, resume });
  }

  /** End the chat; with ``followUpEmail``, a ticket is opened for a follow-up by mail. */
  close(conversationId, resolution, followUpEmail = "") {
    const data = { conversation_id: conversationId, resolution };
    if (followUpEmail) data.follow_up_email = followUpEmail;
    this._act("close", data);
  }
}
