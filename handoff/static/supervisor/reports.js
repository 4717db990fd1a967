// The supervisor's reports: pick whole UTC days, see the figures, the charts and the tables per
// agent and per skill (GET /agent/api/reports), and download the same as CSV. Every name is
// set as text; nothing the server sends becomes HTML.
import { report, reportCsvUrl } from "../console/api.js";
import { csatSummary, figureDuration, percent, reasonLabel } from "../console/format.js";
import { barChart } from "./charts.js";
import { showFigures } from "./figures.js";

// Over this many days, the chart of conversations adds the days up per month.
const DAILY_BARS = 31;
const DEFAULT_DAYS = 7;

const el = (id) => document.getElementById(id);

/** "2026-11-30" of a Date, in UTC (reports are whole UTC days). */
const isoDay = (moment) => moment.toISOString().slice(0, 10);

const csat = (group) => csatSummary(group.avg_csat, group.csat_responses);

/** The overall figures as [label, value] pairs, in the order the page shows them. */
export function overallFigures(overall, slaSeconds) {
  return [
    ["Conversations", String(overall.conversations)],
    ["Handled by the bot alone", `${overall.bot_alone} (${percent(overall.containment)})`],
    ["Handed off to people", String(overall.handed_off)],
    ["Chats closed", String(overall.closed)],
    ["Answered by an agent", String(overall.answered)],
    ["Average wait", figureDuration(overall.avg_wait_seconds)],
    ["p90 wait", figureDuration(overall.p90_wait_seconds)],
    ["First response", figureDuration(overall.avg_first_response_seconds)],
    ["Handle time", figureDuration(overall.avg_handle_seconds)],
    ["Resolution rate", percent(overall.resolution_rate)],
    ["CSAT", csat(overall)],
    [`SLA met (answered within ${figureDuration(slaSeconds)})`, percent(overall.sla_met_rate)],
    ["Tickets opened", String(overall.tickets_opened)],
    ["Tickets solved", String(overall.tickets_solved)],
    ["Ticket first response", figureDuration(overall.avg_ticket_first_response_seconds)],
    ["p90 ticket first response", figureDuration(overall.p90_ticket_first_response_seconds)],
  ];
}

/** The cells of a row of the agents' or skills' table. */
function groupCells(group) {
  return [
    String(group.closed),
    figureDuration(group.avg_wait_seconds),
    figureDuration(group.p90_wait_seconds),
    figureDuration(group.avg_first_response_seconds),
    figureDuration(group.avg_handle_seconds),
    percent(group.resolution_rate),
    csat(group),
    percent(group.sla_met_rate),
  ];
}

/** Bars of conversations per day, or per month over long ranges. */
function conversationBars(days) {
  if (days.length <= DAILY_BARS) {
    return days.map((day) => ({ label: day.day, value: day.conversations }));
  }
  const months = new Map();
  for (const day of days) {
    const month = day.day.slice(0, 7);
    months.set(month, (months.get(month) || 0) + day.conversations);
  }
  return [...months].map(([label, value]) => ({ label, value }));
}

function fillTable(id, rows) {
  const body = el(id).querySelector("tbody");
  body.replaceChildren();
  for (const [name, cells] of rows) {
    const row = document.createElement("tr");
    const head = document.createElement("th");
    head.scope = "row";
    head.textContent = name;
    row.append(head);
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.className = "number";
      cell.textContent = text;
      row.append(cell);
    }
    body.append(row);
  }
  el(id).hidden = rows.length === 0;
  el(`${id}-empty`).hidden = rows.length > 0;
}

function render(found) {
  el("report-title").textContent =
    found.from === found.to ? `${found.from} (UTC)` : `${found.from} to ${found.to} (UTC)`;
  showFigures(el("report-figures"), overallFigures(found.overall, found.sla_seconds));
  const { overall } = found;
  const reasons = Object.entries(overall.reasons).sort((a, b) => b[1] - a[1]);
  const charts = [
    barChart("Conversations", conversationBars(found.days)),
    barChart("Who handled them", [
      { label: "Bot alone", value: overall.bot_alone },
      { label: "Handed off", value: overall.handed_off },
    ]),
  ];
  if (overall.tickets_opened || overall.tickets_solved) {
    charts.push(barChart("Tickets", [
      { label: "Opened", value: overall.tickets_opened },
      { label: "Solved", value: overall.tickets_solved },
    ]));
  }
  if (reasons.length) {
    charts.push(barChart("Why closed chats were handed off",
      reasons.map(([reason, count]) => ({ label: reasonLabel(reason), value: count }))));
  }
  if (found.agents.length) {
    charts.push(barChart("Average handle time per agent", found.agents.map((agent) => ({
      label: agent.name, value: agent.avg_handle_seconds || 0, text: figureDuration(agent.avg_handle_seconds),
    }))));
  }
  el("report-charts").replaceChildren(...charts);
  fillTable("report-agents", found.agents.map((agent) => [agent.name, groupCells(agent)]));
  fillTable("report-skills", found.skills.map((skill) => [
    skill.skill || "none",
    [...groupCells(skill), String(skill.tickets_opened), String(skill.tickets_solved)],
  ]));
  el("report").hidden = false;
}

async function show() {
  const from = el("report-from").value;
  const to = el("report-to").value;
  el("report-problem").textContent = "";
  try {
    render(await report(from, to));
    const link = el("report-csv");
    link.href = reportCsvUrl(from, to);
    link.hidden = false;
  } catch (error) {
    if (error.status === 401) window.location.assign("/agent");
    el("report-problem").textContent = `No report: ${error.message}`;
    el("report-csv").hidden = true;
  }
}

/** Wire the form; the last seven days (today included) until the supervisor picks others. */
export function startReports(today = new Date()) {
  const first = new Date(today.getTime() - (DEFAULT_DAYS - 1) * 86400 * 1000);
  el("report-from").value = isoDay(first);
  el("report-to").value = isoDay(today);
  el("report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
}
