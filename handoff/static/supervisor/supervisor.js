// The supervisor view: polls GET /agent/api/supervisor every few seconds and renders it; the
// wait times tick between polls. It opens no socket, so watching never makes the supervisor
// "available" for chats.
import { supervisorChat, supervisorSnapshot } from "../console/api.js";
import { lineElement } from "../console/chat-view.js";
import {
  chatSummary, csatSummary, customerName, duration, figureDuration, percent, profileRows, reasonLabel,
  ENDINGS,
} from "../console/format.js";
import { CannedEditor } from "./canned-editor.js";
import { cell } from "./cells.js";
import { barChart } from "./charts.js";
import { showFigures } from "./figures.js";
import { startReports } from "./reports.js";
import { startReview } from "./review.js";
import { startTickets } from "./tickets.js";

const POLL_MS = 3000;
const MODES = { bot: "Assistant", queued: "Queue", assigned: "Agent", closed: "Closed" };
// Agents who left are not listed at all; one whose connection dropped keeps their chats a while.
const PRESENCE = {
  available: "Available",
  away: "Away",
  disconnected: "Disconnected (chats kept for a few minutes)",
};
const clockOffset = Number(document.body.dataset.now) - Date.now() / 1000;
const now = () => Date.now() / 1000 + clockOffset;
let snapshot = null;

const el = (id) => document.getElementById(id);


/** Since when a conversation has been where it is: queued, with its agent, or with the bot. */
function since(conversation) {
  if (conversation.mode === "queued") return conversation.queued_at;
  if (conversation.mode === "assigned") return conversation.assigned_at;
  return conversation.created_at;
}

function renderQueue({ queue }) {
  const longest = queue.longest_wait_seconds === null ? null : queue.longest_wait_seconds + (now() - snapshot.now);
  const summary = el("queue-summary");
  summary.replaceChildren();
  const text = document.createElement("span");
  text.textContent = queue.length
    ? `${queue.length} waiting · longest wait ${duration(longest)}`
    : "No one is waiting.";
  summary.append(text);
  if (longest !== null && longest > queue.sla_seconds) {
    const warning = document.createElement("span");
    warning.className = "over-sla";
    warning.textContent = ` · over the ${figureDuration(queue.sla_seconds)} target`;
    summary.append(warning);
  }
}

function renderAgents({ agents }) {
  const rows = el("agents-rows");
  rows.replaceChildren();
  for (const agent of agents) {
    const row = document.createElement("tr");
    row.append(
      cell(agent.name),
      cell(PRESENCE[agent.presence] || agent.presence),
      cell(`${agent.load} of ${agent.capacity}`),
      cell(agent.skills.join(", ")),
    );
    rows.append(row);
  }
  el("agents-table").hidden = agents.length === 0;
  el("agents-empty").hidden = agents.length > 0;
}

/** Why a chat is on the list, in words: who has it and why it left the assistant. */
function whyLive(conversation) {
  const reason = conversation.reason ? reasonLabel(conversation.reason) : "";
  if (conversation.mode === "queued") return `Waiting for a person: ${reason}`;
  if (conversation.mode === "assigned") return `With ${conversation.agent}: ${reason}`;
  const last = conversation.last_message_at || conversation.created_at;
  return `Talking with the assistant; last line ${duration(now() - last)} ago`;
}

function renderLive({ conversations }) {
  const rows = el("live-rows");
  // The list is redrawn on every poll: give the focus back to the same chat's button.
  const focused = rows.contains(document.activeElement) ? document.activeElement.dataset.conversation : null;
  rows.replaceChildren();
  for (const conversation of conversations) {
    const row = document.createElement("tr");
    row.dataset.since = String(since(conversation));
    const name = customerName({ id: conversation.id, customer: { name: conversation.customer } });
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link-button";
    open.textContent = name;
    open.dataset.conversation = conversation.id;
    open.setAttribute("aria-label", `Open the chat with ${name}`);
    open.addEventListener("click", () => openChat(conversation.id, name));
    const who = document.createElement("td");
    who.append(open);
    row.append(
      who,
      cell(MODES[conversation.mode] || conversation.mode),
      cell(whyLive(conversation)),
      cell(duration(now() - since(conversation)), "for"),
      cell(conversation.skill || ""),
    );
    rows.append(row);
    if (conversation.id === focused) open.focus();
  }
  el("live-table").hidden = conversations.length === 0;
  el("live-empty").hidden = conversations.length > 0;
}

/** A live chat, read only, as its agent sees it: the handoff, the profile and the lines. */
async function openChat(conversationId, name) {
  const dialog = el("chat-dialog");
  const log = dialog.querySelector(".transcript");
  dialog.querySelector("h2").textContent = `Chat with ${name}`;
  dialog.querySelector(".chat-dialog-meta").textContent = "Loading…";
  dialog.querySelector(".profile-list").replaceChildren();
  log.replaceChildren();
  dialog.showModal();
  try {
    const chat = await supervisorChat(conversationId);
    const { conversation } = chat;
    dialog.querySelector(".chat-dialog-meta").textContent =
      `${MODES[conversation.mode] || conversation.mode}${conversation.reason ? ` · ${chatSummary(conversation)}` : ""}`;
    for (const [label, value] of profileRows(conversation)) {
      const term = document.createElement("dt");
      term.textContent = label;
      const detail = document.createElement("dd");
      detail.textContent = value;
      dialog.querySelector(".profile-list").append(term, detail);
    }
    for (const line of chat.transcript) log.append(lineElement(line, null));
    log.scrollTop = log.scrollHeight; // the newest line in view
  } catch (error) {
    dialog.querySelector(".chat-dialog-meta").textContent = `The chat could not be opened: ${error.message}`;
  }
}

function renderToday({ today }) {
  showFigures(el("figures"), [
    ["Conversations", String(today.conversations)],
    ["Handled by the bot alone", String(today.bot_alone)],
    ["Handed off, answered by an agent", String(today.answered)],
    ["Handed off, no agent answered", String(today.unanswered)],
    ["Average wait", figureDuration(today.avg_wait_seconds)],
    ["First response", figureDuration(today.avg_first_response_seconds)],
    ["Handle time", figureDuration(today.avg_handle_seconds)],
    ["Resolution rate", percent(today.resolution_rate)],
    ["CSAT", csatSummary(today.avg_csat, today.csat_responses)],
  ]);
  const times = [
    ["Wait", today.avg_wait_seconds],
    ["First response", today.avg_first_response_seconds],
    ["Handle", today.avg_handle_seconds],
  ];
  el("charts").replaceChildren(
    barChart("Who handled today's conversations", [
      { label: "Bot alone", value: today.bot_alone },
      { label: "An agent", value: today.answered },
      { label: "No agent", value: today.unanswered },
    ]),
    barChart("Average times", times.map(([label, seconds]) => ({ label, value: seconds || 0, text: figureDuration(seconds) }))),
    barChart("How closed chats ended", Object.entries(ENDINGS).map(([code, label]) => ({
      label,
      value: today.resolutions[code] || 0,
    }))),
  );
}

/** Between polls: the wait times move on. */
function tick() {
  if (!snapshot) return;
  renderQueue(snapshot);
  for (const row of el("live-rows").children) {
    row.querySelector(".for").textContent = duration(now() - Number(row.dataset.since));
  }
}

async function poll() {
  try {
    snapshot = await supervisorSnapshot();
    snapshot.now = now(); // times below tick from the moment it arrived
    renderQueue(snapshot);
    renderAgents(snapshot);
    renderLive(snapshot);
    renderToday(snapshot);
    el("updated").textContent = `Last update ${new Date().toLocaleTimeString()}.`;
    el("problem").textContent = "";
  } catch (error) {
    if (error.status === 401) window.location.assign("/agent");
    el("problem").textContent = `Could not update: ${error.message}`;
  }
}

new CannedEditor().load();
startReports();
startReview();
startTickets(now);
poll();
setInterval(poll, POLL_MS);
setInterval(tick, 1000);
