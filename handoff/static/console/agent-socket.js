// The one module that knows the agent namespace's event names (docs/protocol.md, "Agents").
// It wraps the shared Connection from /widget/socket.js; the session cookie logs the socket in.
import { Connection } from "/widget/socket.js";

// Server events the console listens to, and the connection's own events.
// No `resume`: the `state` sent on every (re)connection has each chat's whole transcript.
export const SERVER_EVENTS = [
  "state", "assigned", "message", "typing", "queue", "released", "status", "session_ended",
  "error",
];
export const CONNECTION_EVENTS = ["open", "close", "reconnecting", "refused"];

export class AgentSocket {
  constructor(url = window.location.origin) {
    this.connection = new Connection({ url, namespace: "/agent", auth: null });
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
    this.connection.emit("accept", { conversation_id: conversationId });
  }

  send(conversationId, text) {
    this.connection.emit("send", { conversation_id: conversationId, text });
  }

  typing(conversationId, typing) {
    this.connection.emit("typing", { conversation_id: conversationId, typing });
  }

  note(conversationId, text) {
    this.connection.emit("note", { conversation_id: conversationId, text });
  }

  transferToAgent(conversationId, agentId) {
    this.connection.emit("transfer", { conversation_id: conversationId, to_agent: agentId });
  }

  transferToSkill(conversationId, skill) {
    this.connection.emit("transfer", { conversation_id: conversationId, to_skill: skill });
  }

  handBack(conversationId, resume) {
    this.connection.emit("hand_back", { conversation_id: conversationId, resume });
  }

  close(conversationId, resolution) {
    this.connection.emit("close", { conversation_id: conversationId, resolution });
  }
}
