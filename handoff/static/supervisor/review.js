// Transcript review: search the archive of closed chats (GET /agent/api/archive), open one with
// its whole transcript, the bot's part included, and its handoff packet, and keep a review on
// the form of handoff/review_form.yml. Every name and line is set as text, never as HTML.
import { archivedChat, saveReview, searchArchive } from "../console/api.js";
import { lineElement } from "../console/chat-view.js";
import { reviewElement } from "../console/review-card.js";
import {
  chatSummary, customerName, profileRows, ENDINGS, REASONS, reviewByline, SKILLS,
} from "../console/format.js";
import { cell } from "./cells.js";

const DEFAULT_DAYS = 30;
const el = (id) => document.getElementById(id);
const isoDay = (moment) => moment.toISOString().slice(0, 10);
let filters = null;
let page = 1;
let opened = null;

function option(value, label) {
  const item = document.createElement("option");
  item.value = value;
  item.textContent = label;
  return item;
}


function closedAt(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleString([], {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}

/** The form's filters as the API's query string names them; empty ones left out. */
function formFilters() {
  const found = {
    from: el("review-from").value,
    to: el("review-to").value,
    agent: el("review-agent").value.trim(),
    skill: el("review-skill").value,
    resolution: el("review-resolution").value,
    csat: el("review-csat").value,
    reason: el("review-reason").value,
    text: el("review-text").value.trim(),
    ticket: el("review-ticket").checked ? "1" : "",
  };
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value));
}

async function search() {
  el("review-problem").textContent = "";
  try {
    const found = await searchArchive({ ...filters, page });
    renderResults(found);
  } catch (error) {
    if (error.status === 401) window.location.assign("/agent");
    el("review-problem").textContent = `No search: ${error.message}`;
  }
}

function renderResults({ conversations, more }) {
  const rows = el("review-results").querySelector("tbody");
  rows.replaceChildren();
  for (const chat of conversations) {
    const row = document.createElement("tr");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link-button";
    open.textContent = closedAt(chat.closed_at);
    open.setAttribute("aria-label", `Review the chat closed ${closedAt(chat.closed_at)}`);
    open.addEventListener("click", () => openChat(chat.id));
    const when = document.createElement("td");
    when.append(open);
    row.append(
      when,
      cell(chat.agent || "No agent"),
      cell(chatSummary(chat)),
      cell(chat.resolution || ""),
      cell(chat.csat ? `${chat.csat} of 5` : "—"),
      cell(chat.tickets.join(", ")),
      cell(chat.reviewers.length ? `Reviewed (${chat.reviewers.length})` : ""),
    );
    rows.append(row);
  }
  el("review-results").hidden = conversations.length === 0;
  el("review-empty").hidden = conversations.length > 0;
  el("review-previous").hidden = page === 1;
  el("review-next").hidden = !more;
  el("review-page").textContent = conversations.length || page > 1 ? `Page ${page}` : "";
}

/** One closed chat: who, why, the profile and packet, every line, and the review form. */
async function openChat(conversationId) {
  el("review-problem").textContent = "";
  let chat;
  try {
    chat = await archivedChat(conversationId);
  } catch (error) {
    el("review-problem").textContent = `The chat could not be opened: ${error.message}`;
    return;
  }
  const { conversation } = chat;
  opened = conversation.id;
  el("review-chat").hidden = false;
  el("review-chat-heading").textContent = `Chat with ${customerName(conversation)}`;
  el("review-chat-meta").textContent =
    `Closed ${closedAt(conversation.closed_at)} · ${conversation.agent || "no agent"} · ${chatSummary(conversation)}` +
    ` · ${conversation.resolution || "no resolution"} · CSAT ${conversation.csat || "—"}`;
  const profile = el("review-profile");
  profile.replaceChildren();
  for (const [label, value] of profileRows(conversation)) {
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = value;
    profile.append(term, detail);
  }
  el("review-packet").textContent = JSON.stringify(conversation.packet || {}, null, 2);
  const log = el("review-transcript");
  log.replaceChildren(...chat.messages.map((line) => lineElement(line, null)));
  const me = document.body.dataset.agent;
  const mine = chat.reviews.find((review) => review.reviewer_id === me);
  drawForm(chat.form, mine, conversation.agent_id !== null);
  renderOthers(chat.reviews.filter((review) => review !== mine), chat.form);
  el("review-chat-heading").focus();
}

function drawForm(form, mine, reviewable) {
  const fields = el("review-criteria");
  fields.replaceChildren();
  for (const criterion of form) {
    const set = document.createElement("fieldset");
    set.className = "criterion";
    const legend = document.createElement("legend");
    legend.textContent = criterion.question;
    set.append(legend);
    for (const choice of criterion.choices) {
      const id = `score-${criterion.name}-${choice}`;
      const input = document.createElement("input");
      Object.assign(input, { type: "radio", name: criterion.name, value: String(choice), id, required: true });
      input.dataset.number = String(typeof choice === "number");
      input.checked = Boolean(mine) && mine.scores[criterion.name] === choice;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = String(choice);
      set.append(input, label);
    }
    fields.append(set);
  }
  el("review-comment").value = mine ? mine.comment : "";
  el("review-saved").textContent = mine ? `Your review, ${reviewByline(mine)}` : "";
  el("review-form-problem").textContent = reviewable ? "" : "No agent answered this chat: there is nobody to review.";
  el("review-save").disabled = !reviewable;
}

function renderOthers(reviews, form) {
  el("review-others").replaceChildren(...reviews.map((review) => reviewElement(review, form)));
  el("review-others-heading").hidden = reviews.length === 0;
}

async function save(event) {
  event.preventDefault();
  const scores = {};
  for (const input of el("review-criteria").querySelectorAll("input:checked")) {
    scores[input.name] = input.dataset.number === "true" ? Number(input.value) : input.value;
  }
  el("review-form-problem").textContent = "";
  try {
    const { review } = await saveReview(opened, scores, el("review-comment").value);
    el("review-saved").textContent = `Saved: your review, ${reviewByline(review)}`;
    search();
  } catch (error) {
    el("review-form-problem").textContent = `Not saved: ${error.message}`;
  }
}

/** Wire the search and review forms; the last 30 days until the supervisor picks others. */
export function startReview(today = new Date()) {
  el("review-from").value = isoDay(new Date(today.getTime() - (DEFAULT_DAYS - 1) * 86400 * 1000));
  el("review-to").value = isoDay(today);
  el("review-skill").append(...SKILLS.map((skill) => option(skill, skill)));
  el("review-resolution").append(...Object.entries(ENDINGS).map(([code, label]) => option(code, label)));
  el("review-reason").append(...Object.entries(REASONS).map(([code, label]) => option(code, label)));
  el("review-search").addEventListener("submit", (event) => {
    event.preventDefault();
    filters = formFilters();
    page = 1;
    search();
  });
  el("review-previous").addEventListener("click", () => { page -= 1; search(); });
  el("review-next").addEventListener("click", () => { page += 1; search(); });
  el("review-form").addEventListener("submit", save);
}
