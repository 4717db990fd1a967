// The console's HTTP JSON API (handoff/console.py): one place that knows how to call it.
// Every change is sent as JSON, which is what the server requires against cross-site requests.

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
