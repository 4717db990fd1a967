// The supervisor's tickets: the backlog (open, pending the customer, overdue), every ticket of
// the status chosen (overdue ones marked, or only those), and giving a ticket to a connected
// agent or back to "To take". Reloaded every few seconds, except while the supervisor is using
// the table. Customers' addresses and subjects are set as text.
import { assignTicket, onlineAgents, ticketList } from "../console/api.js";
import { priorityLabel, slaClock, ticketTitle, TICKET_STATUSES } from "../console/format.js";
import { cell } from "./cells.js";
import { showFigures } from "./figures.js";

const POLL_MS = 10000;
const el = (id) => document.getElementById(id);
let tickets = [];
let agents = [];
let now = () => Date.now() / 1000;

/** An agent's name, if connected; else their login. */
const nameOf = (agentId) => agents.find((agent) => agent.id === agentId)?.name || agentId;

/** The select and button that give `ticket` to an agent, or to nobody. */
function assignCell(ticket) {
  const choice = document.createElement("select");
  choice.setAttribute("aria-label", `Assign ${ticket.id} to`);
  choice.append(new Option("Nobody (to take)", ""));
  for (const agent of agents) choice.append(new Option(agent.name, agent.id));
  if (ticket.assignee && !agents.some((agent) => agent.id === ticket.assignee)) {
    choice.append(new Option(ticket.assignee, ticket.assignee));
  }
  choice.value = ticket.assignee || "";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = "Assign";
  button.setAttribute("aria-label", `Assign ${ticket.id}`);
  button.addEventListener("click", () => assign(ticket, choice.value || null));
  const td = document.createElement("td");
  td.className = "assign";
  td.append(choice, " ", button);
  return td;
}

async function assign(ticket, agentId) {
  el("tickets-problem").textContent = "";
  try {
    await assignTicket(ticket.id, agentId);
    el("tickets-saved").textContent = `${ticket.id} ${agentId ? "assigned" : "is back in To take"}.`;
    await load();
  } catch (error) {
    el("tickets-problem").textContent = `${ticket.id} was not assigned: ${error.message}`;
  }
}

function render() {
  const overdueOnly = el("tickets-overdue").checked;
  const shown = tickets.filter((ticket) => !overdueOnly || slaClock(ticket, now())?.overdue);
  const rows = el("tickets-table").querySelector("tbody");
  rows.replaceChildren(...shown.map((ticket) => {
    const clock = slaClock(ticket, now());
    const row = document.createElement("tr");
    row.dataset.ticket = ticket.id;
    row.classList.toggle("breached", Boolean(clock?.overdue));
    const reference = document.createElement("th");
    reference.scope = "row";
    reference.textContent = ticketTitle(ticket);
    row.append(
      reference,
      cell(ticket.email),
      cell(TICKET_STATUSES[ticket.status] || ticket.status),
      cell(priorityLabel(ticket.priority)),
      cell(ticket.skill || "general"),
      cell(clock ? clock.text : "—", clock?.overdue ? "over-sla" : ""),
      cell(ticket.assignee ? nameOf(ticket.assignee) : "Nobody"),
      assignCell(ticket),
    );
    return row;
  }));
  el("tickets-table").hidden = shown.length === 0;
  el("tickets-empty").hidden = shown.length > 0;
}

async function load() {
  try {
    const [found, online] = await Promise.all([ticketList("all", el("tickets-status").value), onlineAgents()]);
    tickets = found.tickets;
    agents = online;
    const { backlog } = found;
    showFigures(el("ticket-backlog"), [
      ["Open", String(backlog.open)],
      ["Pending the customer", String(backlog.pending)],
      ["Overdue", String(backlog.breached)],
    ]);
    el("ticket-backlog").classList.toggle("has-breaches", backlog.breached > 0);
    render();
    el("tickets-problem").textContent = "";
  } catch (error) {
    el("tickets-problem").textContent = `The tickets could not be loaded: ${error.message}`;
  }
}

/** Load the backlog and the list now and every few seconds; `now()` is the server's clock. */
export function startTickets(serverNow) {
  now = serverNow;
  el("tickets-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  el("tickets-overdue").addEventListener("change", render);
  load();
  setInterval(() => {
    if (!el("tickets-table").contains(document.activeElement)) load();
  }, POLL_MS);
}
