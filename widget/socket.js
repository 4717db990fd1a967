// The one module that owns a socket to the gateway, for the widget and the agent console.
//
// It speaks Engine.IO 4 / Socket.IO 5 over the browser's own WebSocket (no polling), so a host
// site embeds the widget without any third-party script. It reconnects by itself; callers
// re-synchronise in their "open" handler (the gateway's sequence numbers make that exact).

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;

// Engine.IO packet types (first character of a frame) and Socket.IO ones (the second).
const ENGINE_OPEN = "0";
const ENGINE_CLOSE = "1";
const ENGINE_PING = "2";
const ENGINE_PONG = "3";
const ENGINE_MESSAGE = "4";
const SOCKET_CONNECT = "0";
const SOCKET_DISCONNECT = "1";
const SOCKET_EVENT = "2";
const SOCKET_CONNECT_ERROR = "4";

/** Split a Socket.IO frame (after the Engine.IO type) into its type, namespace and JSON body. */
export function parseSocketPacket(frame) {
  const type = frame[0];
  let rest = frame.slice(1);
  let namespace = "/";
  if (rest.startsWith("/")) {
    const comma = rest.indexOf(",");
    namespace = comma === -1 ? rest : rest.slice(0, comma);
    rest = comma === -1 ? "" : rest.slice(comma + 1);
  }
  rest = rest.replace(/^\d+/, ""); // an acknowledgement id; we never ask for acknowledgements
  return { type, namespace, body: rest ? JSON.parse(rest) : null };
}

/** A Socket.IO frame for `namespace`: the namespace is written only when it is not "/". */
export function socketFrame(type, namespace, body) {
  const prefix = namespace === "/" ? "" : `${namespace},`;
  return ENGINE_MESSAGE + type + prefix + (body === undefined ? "" : JSON.stringify(body));
}

/** The WebSocket address of the gateway at `url` (http → ws, https → wss). */
export function socketAddress(url) {
  const address = new URL("/socket.io/", url);
  address.protocol = address.protocol === "https:" ? "wss:" : "ws:";
  address.search = "?EIO=4&transport=websocket";
  return address.toString();
}

/**
 * A new client message id: the gateway applies a command sent with one once, answers a resend
 * of it with the first answer, and acknowledges a line with it (its stored, masked text).
 * Random, so two tabs or consoles never share one.
 */
export function newMessageId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The delay before reconnection attempt `attempt` (1, 2, ...): doubling, capped, with jitter. */
export function retryDelay(attempt, random = Math.random) {
  const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

export class Connection {
  /**
   * @param {{url: string, namespace?: string, auth?: object|null}} options
   *   `auth` is sent when joining the namespace (the agent console's login token, if any).
   */
  constructor({ url, namespace = "/", auth = null }) {
    this.url = url;
    this.namespace = namespace;
    this.auth = auth;
    this.connected = false;
    this._handlers = new Map();
    this._outbox = [];
    this._socket = null;
    this._attempt = 0;
    this._stopped = true;
    this._retryTimer = null;
    this._silenceTimer = null;
    this._silenceMs = 0;
  }

  /**
   * Call `handler(data, ...more)` for a server event (`more`: any further arguments it came
   * with), or for "open", "close", "reconnecting", "refused".
   */
  on(event, handler) {
    if (!this._handlers.has(event)) this._handlers.set(event, []);
    this._handlers.get(event).push(handler);
    return this;
  }

  /** Send an event now, or queue it until the next connection if the socket is down. */
  emit(event, data) {
    if (this.connected) {
      this._send(socketFrame(SOCKET_EVENT, this.namespace, data === undefined ? [event] : [event, data]));
      return true;
    }
    this._outbox.push([event, data]);
    return false;
  }

  connect() {
    this._stopped = false;
    this._open();
  }

  /** Leave for good: no more reconnection attempts. */
  close() {
    this._stopped = true;
    clearTimeout(this._retryTimer);
    clearTimeout(this._silenceTimer);
    if (this._socket) {
      if (this.connected) this._send(socketFrame(SOCKET_DISCONNECT, this.namespace));
      this._socket.close();
    }
    this._socket = null;
    this.connected = false;
  }

  _fire(event, ...args) {
    for (const handler of this._handlers.get(event) || []) {
      try {
        handler(...args);
      } catch (error) {
        console.error(`Tandem: a handler of "${event}" failed`, error);
      }
    }
  }

  _send(frame) {
    this._socket.send(frame);
  }

  _open() {
    const socket = new WebSocket(socketAddress(this.url));
    this._socket = socket;
    socket.onmessage = (message) => {
      if (socket === this._socket) this._receive(String(message.data));
    };
    socket.onclose = () => {
      if (socket === this._socket) this._lost();
    };
  }

  _receive(frame) {
    this._expectWithin(this._silenceMs);
    const type = frame[0];
    if (type === ENGINE_OPEN) {
      const { pingInterval, pingTimeout } = JSON.parse(frame.slice(1));
      this._silenceMs = pingInterval + pingTimeout;
      this._expectWithin(this._silenceMs);
      this._send(socketFrame(SOCKET_CONNECT, this.namespace, this.auth || undefined));
    } else if (type === ENGINE_PING) {
      this._send(ENGINE_PONG);
    } else if (type === ENGINE_CLOSE) {
      this._socket.close();
    } else if (type === ENGINE_MESSAGE) {
      this._receivePacket(parseSocketPacket(frame.slice(1)));
    }
  }

  _receivePacket({ type, namespace, body }) {
    if (namespace !== this.namespace) return;
    if (type === SOCKET_CONNECT) {
      this.connected = true;
      this._attempt = 0;
      this._fire("open");
      const queued = this._outbox.splice(0);
      for (const [event, data] of queued) this.emit(event, data);
    } else if (type === SOCKET_CONNECT_ERROR) {
      this._stopped = true; // a refusal (not logged in, bad origin) does not heal by retrying
      this._fire("refused", (body && body.message) || "The server refused the connection.");
      this._socket.close();
    } else if (type === SOCKET_DISCONNECT) {
      this._socket.close();
    } else if (type === SOCKET_EVENT && Array.isArray(body)) {
      this._fire(...body);
    }
  }

  /** Drop a socket that went silent: the server pings every pingInterval. */
  _expectWithin(ms) {
    clearTimeout(this._silenceTimer);
    if (ms) this._silenceTimer = setTimeout(() => this._socket && this._socket.close(), ms);
  }

  _lost() {
    clearTimeout(this._silenceTimer);
    const wasConnected = this.connected;
    this.connected = false;
    this._socket = null;
    if (wasConnected) this._fire("close");
    if (this._stopped) return;
    this._attempt += 1;
    const delayMs = retryDelay(this._attempt);
    this._fire("reconnecting", { attempt: this._attempt, delayMs });
    this._retryTimer = setTimeout(() => {
      if (!this._stopped) this._open();
    }, delayMs);
  }
}
