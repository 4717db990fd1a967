// The console's HTTP JSON API (handoff/console.py): one place that knows how to call it.
// Every change is sent as JSON, which is what the server requires against cross-site requests.
import { newMessageId, retryDelay } from "/widget/socket.js";

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function call(method, url, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new ApiError("The server cannot be reached; check your connection.", "network", 0);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(data.message || `The server answered ${response.status}.`, data.error, response.status);
  }
  return data;
}

export const getJSON = (url) => call("GET", url);
export const postJSON = (url, body) => call("POST", url, body);
export const putJSON = (url, body) => call("PUT", url, body);
export const deleteJSON = (url) => call("DELETE", url, {});

export const login = (name, password) => postJSON("/agent/login", { login: name, password });
export const logout = () => postJSON("/agent/logout", {});
export const cannedList = () => getJSON("/agent/api/canned").then((data) => data.canned);
export const cannedPreviews = (conversationId) =>
  getJSON(`/agent/api/conversations/${encodeURIComponent(conversationId)}/canned`).then((data) => data.canned);
export const renderCanned = (id, conversationId) =>
  postJSON(`/agent/api/canned/${id}/render`, { conversation_id: conversationId }).then((data) => data.text);
export const addCanned = (title, body) => postJSON("/agent/api/canned", { title, body });
export const editCanned = (id, title, body) => putJSON(`/agent/api/canned/${id}`, { title, body });
export const deleteCanned = (id) => deleteJSON(`/agent/api/canned/${id}`);
export const queueDetails = () => getJSON("/agent/api/queue").then((data) => data.entries);
export const customerHistory = (conversationId) =>
  getJSON(`/agent/api/conversations/${encodeURIComponent(conversationId)}/history`).then((data) => data.conversations);
export const onlineAgents = () => getJSON("/agent/api/agents").then((data) => data.agents);
export const supervisorSnapshot = () => getJSON("/agent/api/supervisor");
export const supervisorChat = (conversationId) =>
  getJSON(`/agent/api/supervisor/conversations/${encodeURIComponent(conversationId)}`);
const reportQuery = (from, to) => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
export const report = (from, to) => getJSON(`/agent/api/reports?${reportQuery(from, to)}`);
export const reportCsvUrl = (from, to) => `/agent/api/reports.csv?${reportQuery(from, to)}`;
export const searchArchive = (filters) => getJSON(`/agent/api/archive?${new URLSearchParams(filters)}`);
export const archivedChat = (conversationId) => getJSON(`/agent/api/archive/${encodeURIComponent(conversationId)}`);
export const saveReview = (conversationId, scores, comment) =>
  putJSON(`/agent/api/archive/${encodeURIComponent(conversationId)}/review`, { scores, comment });
export const myReviews = () => getJSON("/agent/api/reviews");

// Answers that leave an action's fate unknown (no answer, a gateway that could not serve it, the
// same action still under way): it goes again with the same message id.
const UNKNOWN_FATE = [0, 502, 503, 504];
const TRIES = 4;
const fateUnknown = (error) => UNKNOWN_FATE.includes(error.status) || error.code === "in_progress";

/**
 * Actions on tickets, each POSTed with a message id that the server applies once. An answer
 * lost on the way is asked for again at once, a few times, under the same id; an action whose
 * fate is still unknown after that keeps its id, so doing the very same action again (same
 * URL, same body) sends it again under that id, never as a second action.
 */
export class OnceActions {
  constructor() {
    this._unanswered = new Map();
  }

  async post(url, body) {
    const key = `${url} ${JSON.stringify(body)}`;
    const messageId = this._unanswered.get(key) || newMessageId();
    this._unanswered.set(key, messageId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await postJSON(url, { ...body, message_id: messageId });
        this._unanswered.delete(key);
        return answer;
      } catch (error) {
        if (!fateUnknown(error)) this._unanswered.delete(key);
        if (!fateUnknown(error) || attempt >= TRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)));
      }
    }
  }
}

const ticketUrl = (id) => `/agent/api/tickets/${encodeURIComponent(id)}`;
/** The tickets of a view ("mine", "queue", "all") in a status; none given: open and pending. */
export const ticketList = (view, status) =>
  getJSON(`/agent/api/tickets?${new URLSearchParams(status ? { view, status } : { view })}`);
export const ticketDetail = (id) => getJSON(ticketUrl(id));
export const ticketCanned = (id) => getJSON(`${ticketUrl(id)}/canned`).then((data) => data.canned);
export const renderTicketCanned = (cannedId, ticketId) =>
  postJSON(`/agent/api/canned/${cannedId}/render`, { ticket_id: ticketId }).then((data) => data.text);
export const ticketActions = new OnceActions();
export const replyToTicket = (id, text, status) =>
  ticketActions.post(`${ticketUrl(id)}/reply`, status ? { text, status } : { text });
export const noteOnTicket = (id, text) => ticketActions.post(`${ticketUrl(id)}/note`, { text });
export const setTicketStatus = (id, status) => ticketActions.post(`${ticketUrl(id)}/status`, { status });
export const assignTicket = (id, agentId) => ticketActions.post(`${ticketUrl(id)}/assign`, { agent_id: agentId });
