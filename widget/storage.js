// What the widget remembers across page reloads and tabs, in the browser's localStorage:
// the conversation's session id and resume secret (per gateway), and per session whether the
// panel was open and the last message the customer saw (for the unread badge). Never a
// message's text: what the customer typed is kept only as the gateway stored it (masked).

import { STORAGE_PREFIX } from "./constants.js";

/** localStorage, or a memory stand-in where it is blocked (private windows, strict settings). */
function defaultStorage() {
  try {
    const probe = `${STORAGE_PREFIX}probe`;
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    console.warn("Tandem: localStorage is blocked; the chat will not survive a reload.");
    const memory = new Map();
    return {
      getItem: (key) => (memory.has(key) ? memory.get(key) : null),
      setItem: (key, value) => memory.set(key, String(value)),
      removeItem: (key) => memory.delete(key),
    };
  }
}

export class SessionStore {
  /** @param {string} server the gateway's origin: each gateway has its own conversations. */
  constructor(server, storage = defaultStorage()) {
    this.storage = storage;
    this.sessionKey = `${STORAGE_PREFIX}${server}:session`;
    this.secretKey = `${STORAGE_PREFIX}${server}:resume`;
  }

  /** The session id of this browser's conversation with the gateway, or null. */
  sessionId() {
    return this.storage.getItem(this.sessionKey);
  }

  /** The secret that resumes this browser's conversation (the gateway's proof of it), or null. */
  resumeSecret() {
    return this.storage.getItem(this.secretKey);
  }

  /** Remember a (new) session and its resume secret; what was kept for the previous is dropped. */
  setSession(sessionId, resumeSecret) {
    const previous = this.sessionId();
    if (previous && previous !== sessionId) this.storage.removeItem(this._panelKey(previous));
    this.storage.setItem(this.sessionKey, sessionId);
    if (resumeSecret) this.storage.setItem(this.secretKey, resumeSecret);
    else this.storage.removeItem(this.secretKey);
  }

  /** `{ open, seenSeq }` kept for a session (closed, nothing seen for a new one). */
  panel(sessionId) {
    const fallback = { open: false, seenSeq: 0 };
    if (!sessionId) return fallback;
    try {
      const saved = JSON.parse(this.storage.getItem(this._panelKey(sessionId)) || "null");
      return {
        open: Boolean(saved && saved.open),
        seenSeq: Number.isInteger(saved && saved.seenSeq) ? saved.seenSeq : 0,
      };
    } catch {
      return fallback; // written by something else: start over rather than fail
    }
  }

  savePanel(sessionId, { open, seenSeq }) {
    if (!sessionId) return;
    this.storage.setItem(this._panelKey(sessionId), JSON.stringify({ open, seenSeq }));
  }

  _panelKey(sessionId) {
    return `${STORAGE_PREFIX}session:${sessionId}`;
  }
}
