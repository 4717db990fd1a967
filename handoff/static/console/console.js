// The agent console: wires the /agent socket, the state and the views together.
import { cannedPreviews, customerHistory, onlineAgents, queueDetails, renderCanned } from "./api.js";
import { AgentSocket } from "./agent-socket.js";
import { Alerts } from "./alerts.js";
import { CannedPicker } from "./canned-picker.js";
import { ChatList } from "./chat-list.js";
import { ChatPanel } from "./chat-view.js";
import { ConsoleState } from "./chats.js";
import { startMyReviews } from "./my-reviews.js";
import { confirmIn } from "./dialogs.js";
import { SKILLS, taskName, titleWithCount } from "./format.js";
import { QueueView } from "./queue-view.js";
import { listenForShortcuts, listShortcuts } from "./shortcuts.js";
import { TicketInbox } from "./ticket-inbox.js";
import { ViewTabs } from "./view-tabs.js";

const body = document.body;
const me = { id: body.dataset.agent, name: body.dataset.agentName, capacity: Number(body.dataset.capacity) };
// The server's clock minus ours, so wait times count from the server's timestamps.
const clockOffset = Number(body.dataset.now) - Date.now() / 1000;
const now = () => Date.now() / 1000 + clockOffset;
const baseTitle = document.title;

const socket = new AgentSocket();
const state = new ConsoleState();
const panels = new Map();
// Chats this agent asked for with "Accept": those arrive without an alert.
const accepting = new Set();

const chatList = document.getElementById("chat-list");
const noChats = document.getElementById("no-chats");
const chatCount = document.getElementById("chat-count");
const announcer = document.getElementById("announcer");
const connection = document.getElementById("connection");
const statusSelect = document.getElementById("status");

const queueView = new QueueView({
  now,
  onAccept: (conversationId) => {
    accepting.add(conversationId);
    socket.accept(conversationId);
  },
});

function announce(text) {
  // A polite live region re-reads only when its text changes.
  announcer.textContent = "";
  setTimeout(() => { announcer.textContent = text; }, 50);
}

const views = new ViewTabs(document.getElementById("view-tabs"));
const tickets = new TicketInbox({
  me,
  now,
  announce,
  onCount: (words) => views.setCount("tickets", words),
  isShown: () => views.current === "tickets",
});
// The inbox on screen: as it is now, not as it was at the last poll.
views.tablist.addEventListener("viewchange", ({ detail }) => {
  if (detail === "tickets") tickets.refresh();
});
const alerts = new Alerts();
const chatTabs = new ChatList({ onOpen: (panel) => panel.focusReply() });
// The chat the agent was last in: the one shortcuts act on.
let current = null;
chatList.addEventListener("focusin", (event) => {
  const article = event.target.closest("article.chat");
  current = [...panels.values()].find((panel) => panel.element === article) || current;
  updateCounts();
});

function updateCounts() {
  chatCount.textContent = `${panels.size} of ${me.capacity}`;
  noChats.hidden = panels.size > 0;
  const flagged = [...panels.values()].filter((panel) => panel.flagged).length;
  document.title = titleWithCount(baseTitle, flagged);
  views.setCount("chats", flagged ? `${flagged} new` : "");
  chatTabs.render([...panels.values()], current);
  // Read by the "Log out" button (logout.js), which warns while chats are open.
  body.dataset.openChats = String(panels.size);
}

const handlers = {
  myName: me.name,
  onSend: (panel, text) => socket.send(panel.chat.id, text),
  onNote: (panel, text) => socket.note(panel.chat.id, text),
  onTyping: (panel, typing) => socket.typing(panel.chat.id, typing),
  onSeen: () => updateCounts(),
  onTransfer: transfer,
  onHandBack: handBack,
  onClose: closeChat,
};

function openChat(data, { alert }) {
  const { chat, isNew, fresh } = state.upsertChat(data);
  let panel = panels.get(chat.id);
  if (isNew || !panel) {
    panel = new ChatPanel(chat, handlers);
    new CannedPicker(panel, { list: () => cannedPreviews(chat.id), fill: (id) => renderCanned(id, chat.id) });
    panels.set(chat.id, panel);
    chatList.append(panel.element);
    panel.scrollToNewest();
    showHistory(panel);
  } else {
    panel.renderConversation();
    panel.appendLines(fresh);
  }
  if (alert) {
    panel.flag("New chat");
    announce(`New chat from ${panel.name} assigned to you.`);
    alerts.notify("New chat", `${panel.name} was assigned to you.`);
  }
  updateCounts();
  return panel;
}

/** A verified customer's past conversations, fetched once per panel; none for a guest. */
async function showHistory(panel) {
  const { customer = {}, packet } = panel.chat.conversation;
  const slots = (packet && packet.slots) || {};
  if (!customer.verified && slots.verified !== true) return;
  try {
    panel.showHistory(await customerHistory(panel.chat.id));
  } catch (error) {
    panel.showProblem(`The customer's past conversations could not be loaded: ${error.message}`);
  }
}

function dropChat(conversationId, why) {
  const panel = panels.get(conversationId);
  state.removeChat(conversationId);
  if (!panel) return;
  const hadFocus = panel.hasFocus();
  panel.element.remove();
  panels.delete(conversationId);
  if (current === panel) current = null;
  updateCounts();
  if (why) announce(`Chat with ${panel.name} ${why}.`);
  if (hadFocus) document.getElementById("chats-heading").focus();
}

// --- actions that lose something: confirmed in a dialog first ---

async function transfer(panel) {
  let agents = [];
  try {
    agents = (await onlineAgents()).filter(
      (agent) => agent.id !== me.id && agent.status === "available" && agent.load < agent.capacity,
    );
  } catch (error) {
    panel.showProblem(`The list of agents could not be loaded: ${error.message}`);
  }
  const dialog = document.getElementById("transfer-dialog");
  const target = dialog.querySelector("#transfer-target");
  const confirmed = await confirmIn(dialog, `Transfer ${panel.name}? The chat leaves your console.`, () => {
    target.replaceChildren();
    const queues = document.createElement("optgroup");
    queues.label = "Back to the queue, for a skill";
    for (const skill of SKILLS) queues.append(new Option(`Queue: ${skill}`, `skill:${skill}`));
    const people = document.createElement("optgroup");
    people.label = "To an agent";
    for (const agent of agents) {
      people.append(new Option(`${agent.name} (${agent.load} of ${agent.capacity} chats)`, `agent:${agent.id}`));
    }
    target.append(queues);
    if (agents.length) target.append(people);
    target.value = `skill:${panel.chat.conversation.skill || "general"}`;
  });
  if (!confirmed) return;
  const [kind, value] = target.value.split(/:(.*)/s);
  if (kind === "agent") socket.transferToAgent(panel.chat.id, value);
  else socket.transferToSkill(panel.chat.id, value);
}

async function handBack(panel) {
  const dialog = document.getElementById("hand-back-dialog");
  const resume = dialog.querySelector("#hand-back-resume");
  const form = (panel.chat.conversation.packet || {}).active_form;
  const confirmed = await confirmIn(
    dialog,
    `Hand ${panel.name} back to the assistant? The chat leaves your console.`,
    () => {
      dialog.querySelector(".resume-choice").hidden = !form;
      dialog.querySelector("label[for=hand-back-resume]").textContent =
        `Resume the interrupted task (${form ? taskName(form) : "none"})`;
      resume.checked = Boolean(form);
    },
  );
  if (confirmed) socket.handBack(panel.chat.id, Boolean(form) && resume.checked);
}

async function closeChat(panel) {
  const dialog = document.getElementById("close-dialog");
  const confirmed = await confirmIn(
    dialog,
    `Close the chat with ${panel.name}? They will be asked to rate it.`,
    () => {
      dialog.querySelector("input[name=resolution]").checked = true;
      dialog.querySelector("#follow-up-email").value = "";
      const warning = dialog.querySelector(".unanswered");
      warning.hidden = panel.answeredBy(me.name);
      warning.textContent = `You have not written to ${panel.name} yet: they may still be waiting for an answer.`;
    },
  );
  if (!confirmed) return;
  const resolution = dialog.querySelector("input[name=resolution]:checked").value;
  socket.close(panel.chat.id, resolution, dialog.querySelector("#follow-up-email").value.trim());
}

// --- the socket ---

socket.on("open", () => {
  connection.textContent = "Connected";
  connection.className = "connection online";
});
socket.on("reconnecting", ({ attempt }) => {
  connection.textContent = `Reconnecting… (attempt ${attempt})`;
  connection.className = "connection offline";
});
socket.on("close", () => {
  connection.textContent = "Disconnected";
  connection.className = "connection offline";
});
socket.on("refused", async (message) => {
  connection.textContent = `Not connected: ${message}`;
  connection.className = "connection offline";
  // Logged out (elsewhere, or the session expired): the login page. Otherwise say why and stay.
  try {
    await onlineAgents();
  } catch (error) {
    if (error.status === 401) window.location.assign("/agent");
  }
});

let askingDetails = false;

/** Show the queue; ask the server for the reasons, names and latest lines of chats new to it
 * or whose customer wrote since. Once more if a push came meanwhile with newer lines. */
async function showQueue(entries, length = entries.length) {
  queueView.render(entries, length);
  if (askingDetails) return;
  askingDetails = true;
  try {
    for (let tries = 0; tries < 2 && queueView.unknown(queueView.entries).length; tries += 1) {
      queueView.learn(await queueDetails());
    }
  } catch (error) {
    announceProblem(`The queue's details could not be loaded: ${error.message}`);
  } finally {
    askingDetails = false;
  }
}

socket.on("state", (data) => {
  // The gateway keeps the status the agent chose (away stays away through a reload).
  statusSelect.value = data.status;
  const open = new Set(data.chats.map((chat) => chat.conversation.id));
  for (const id of [...panels.keys()]) if (!open.has(id)) dropChat(id, "is no longer yours");
  for (const chat of data.chats) openChat(chat, { alert: false });
  showQueue(data.queue, data.queue_length);
});
socket.on("assigned", (data) => {
  const id = data.conversation.id;
  const asked = accepting.delete(id);
  const panel = openChat(data, { alert: !asked && !panels.has(id) });
  if (asked) panel.parts.reply.focus();
});
socket.on("message", (line) => {
  const chat = state.chats.get(line.conversation_id);
  const panel = panels.get(line.conversation_id);
  if (!chat || !panel) return;
  const fresh = chat.addLines([line]);
  panel.appendLines(fresh);
  const said = fresh.filter((l) => l.kind === "customer");
  if (said.length) {
    panel.setTyping(false);
    if (!panel.hasFocus()) {
      panel.flag("New message", said.length);
      updateCounts();
      alerts.notify(`New message from ${panel.name}`, said[said.length - 1].text.slice(0, 120));
    }
  }
});
socket.on("typing", ({ conversation_id: id, typing }) => {
  const panel = panels.get(id);
  if (panel) panel.setTyping(typing);
});
socket.on("queue", ({ entries, length }) => showQueue(entries, length));
socket.on("released", ({ conversation_id: id, why, resolution, ticket }) => {
  const words = {
    closed: ticket
      ? `was closed (${resolution}); ticket ${ticket} is in your Tickets`
      : `was closed (${resolution})`,
    returned_to_bot: "went back to the assistant",
    transferred: "was transferred",
  };
  dropChat(id, words[why] || "left your console");
});
// Logged out in another tab, or an administrator changed the account: log in again.
socket.on("session_ended", () => window.location.assign("/agent"));
socket.on("error", (error) => {
  const message = error.message || "Something went wrong.";
  const focused = [...panels.values()].find((panel) => panel.hasFocus());
  if (focused) focused.showProblem(message);
  else announceProblem(message);
});

const problem = document.createElement("p");
problem.className = "console-problem error";
problem.setAttribute("role", "alert");
document.getElementById("main").prepend(problem);

function announceProblem(message) {
  problem.textContent = message;
  setTimeout(() => { if (problem.textContent === message) problem.textContent = ""; }, 8000);
}

statusSelect.addEventListener("change", () => socket.setStatus(statusSelect.value));
// Said once the gateway has made the change (to every tab of this agent).
socket.on("status", ({ status }) => {
  statusSelect.value = status;
  announce(`Your status is ${status}.`);
});

// --- keyboard shortcuts ---

/** The open chats in the order of "My chats". */
const ordered = () => [...panels.values()];

function step(by) {
  views.select("chats");
  const list = ordered();
  if (!list.length) return;
  const at = list.indexOf(current);
  list[(at + by + list.length) % list.length].focusReply();
}

listShortcuts(document.getElementById("shortcut-list"));
listenForShortcuts({
  chat: (number) => {
    views.select("chats");
    ordered()[number - 1]?.focusReply();
  },
  next: () => step(1),
  previous: () => step(-1),
  accept: () => {
    views.select("chats");
    if (!queueView.acceptFirst()) announce("No one is waiting.");
  },
  note: () => {
    if (!current) return;
    current.setNoteMode(!current.noteMode);
    current.focusReply();
    announce(current.noteMode ? "Writing an internal note." : "Writing to the customer.");
  },
  transfer: () => current && transfer(current),
  handBack: () => current && handBack(current),
  close: () => current && closeChat(current),
});

// Every (re)connection gets a full `state`: the agent's chats with every line, and the queue.
startMyReviews();
tickets.start();
socket.connect();
updateCounts();
