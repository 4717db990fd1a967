// Pure functions that turn the gateway's data into words and times for the console and the
// supervisor view. No DOM, no socket: easy to read, easy to test. The words themselves
// (skills, priorities, handoff reasons, resolutions) come from the server's vocabulary.

import vocabulary from "/agent/vocabulary.js";

export const REASONS = vocabulary.reasons;

export const PRIORITIES = vocabulary.priorities;

export const RESOLUTIONS = Object.keys(vocabulary.resolutions);

// How an archived chat ended (an agent's resolution, a hand-back, a ticket): code -> label.
export const ENDINGS = vocabulary.endings;

export const SKILLS = vocabulary.skills;

// What the bot's slots are called for a person reading the profile.
const SLOT_LABELS = {
  reset_identifier: "Reset asked for",
  street: "New street",
  city: "New city",
  postal_code: "New postal code",
  payment_amount: "Amount to pay",
};

/** "0:07", "12:34", "1:02:03" for a number of seconds (negative counts as 0). */
export function duration(seconds) {
  const total = Math.max(0, Math.floor(seconds || 0));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** A short spoken-friendly duration for figures: "42 s", "3 min 5 s", "—" when unknown. */
export function figureDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  return total % 60 ? `${minutes} min ${total % 60} s` : `${minutes} min`;
}

/** "14:05" in the agent's time zone, from epoch seconds. */
export function clockTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** "83%" from 0.83; "—" when unknown. */
export function percent(share) {
  return share === null || share === undefined ? "—" : `${Math.round(share * 100)}%`;
}

/** "4.2 of 5 (17)": an average CSAT and how many rated; "—" when nobody did. */
export function csatSummary(average, responses) {
  return average === null || average === undefined ? "—" : `${average.toFixed(1)} of 5 (${responses})`;
}

export function reasonLabel(reason) {
  return REASONS[reason] || reason || "Unknown reason";
}

export function priorityLabel(priority) {
  return PRIORITIES[priority] || priority || "Normal";
}

/** The name the console uses for a customer: their name (the website's, or their account's
 * once verified in the chat), else a short form of the chat id. */
export function customerName(conversation) {
  const name = conversation && conversation.customer && conversation.customer.name;
  if (name) return name;
  const id = (conversation && (conversation.id || conversation.conversation_id)) || "";
  return `Customer ${id.slice(0, 6)}`;
}

/** Who wrote a transcript line, as shown before it. */
export function speaker(line, myName) {
  if (line.kind === "customer") return "Customer";
  if (line.kind === "bot") return "Assistant";
  if (line.kind === "system") return "Tandem";
  if (line.kind === "note") return `Note by ${line.sender === myName ? "you" : line.sender || "an agent"}`;
  if (line.kind === "agent") return line.sender === myName ? "You" : line.sender || "Agent";
  return line.kind;
}

/** The bot's task in words ("Paying a bill"), from a form's name. */
export function taskName(form) {
  return vocabulary.tasks[form] || "A task with the assistant";
}

/** Where the bot was when it handed over, in words: "Paying a bill: was asking for the amount
 * to pay"; null when no task was under way. */
export function botProgress(packet) {
  if (!packet || !packet.active_form) return null;
  const step = packet.requested_slot && vocabulary.task_steps[packet.requested_slot];
  return step ? `${taskName(packet.active_form)}: was asking for ${step}` : taskName(packet.active_form);
}

/** What the customer's latest messages meant, in words, newest last; internal ones left out. */
export function askedFor(packet) {
  const intents = ((packet && packet.last_intents) || []).filter((intent) => vocabulary.intents[intent.name]);
  return intents.map((intent) => vocabulary.intents[intent.name]).join(", then ");
}

/**
 * The customer profile beside a chat, as [label, value] pairs: who they are and whether they
 * are verified (the website's token or the bot's check), their account as the bot read it for
 * a verified customer, what the bot collected, and where it was when it handed over, in words.
 */
export function profileRows(conversation) {
  const customer = conversation.customer || {};
  const packet = conversation.packet || {};
  const slots = packet.slots || {};
  const account = packet.account || {};
  const rows = [];
  if (customer.name) rows.push(["Name", customer.name]);
  const verified = Boolean(customer.verified || slots.verified);
  rows.push(["Identity", verified ? "Verified" : "Not verified"]);
  const customerId = customer.customer_id || slots.customer_id;
  if (customerId) rows.push(["Customer id", customerId]);
  if (account.email) rows.push(["Email", account.email]);
  if (account.address) rows.push(["Address", account.address]);
  if (account.balance) rows.push(["Balance", `${account.balance}, due ${account.due_date}`]);
  if (account.card) rows.push(["Card on file", account.card_status === "ok" ? account.card : `${account.card} (${account.card_status})`]);
  for (const [slot, value] of Object.entries(slots)) {
    if (!SLOT_LABELS[slot] || value === null || value === undefined) continue;
    rows.push([SLOT_LABELS[slot], String(value)]);
  }
  const progress = botProgress(packet);
  if (progress) rows.push(["Bot's progress", progress]);
  const asked = askedFor(packet);
  if (asked) rows.push(["The customer", asked]);
  return rows;
}

/** A past conversation in one line: "12 Nov · Asked for a person · resolved · rated 4 of 5 ·
 * ticket TKT-1A2B". */
export function pastConversation(past) {
  const parts = [
    new Date(past.closed_at * 1000).toLocaleDateString([], { day: "numeric", month: "short" }),
    reasonLabel(past.reason),
  ];
  if (past.resolution) parts.push(past.resolution);
  if (past.csat) parts.push(`rated ${past.csat} of 5`);
  for (const ticket of past.tickets || []) parts.push(`ticket ${ticket}`);
  return parts.join(" · ");
}

/** The handoff's reason, skill and priority in one line. */
export function chatSummary(conversation) {
  const parts = [reasonLabel(conversation.reason), `skill ${conversation.skill || "general"}`];
  if (conversation.priority && conversation.priority !== "normal") parts.push(priorityLabel(conversation.priority));
  return parts.join(" · ");
}

/** The page title with a count of chats needing a look: "(2) Console · Tandem". */
export function titleWithCount(base, count) {
  return count > 0 ? `(${count}) ${base}` : base;
}

/**
 * A review's scores as [label, answer] pairs in the form's order: the criterion's question
 * and "4 of 5" or "yes"; scores of criteria the form no longer has follow, under their name.
 */
export function reviewAnswers(review, form) {
  const rows = [];
  const scores = review.scores || {};
  for (const criterion of form) {
    if (!(criterion.name in scores)) continue;
    rows.push([criterion.question, scoreText(scores[criterion.name], criterion.scale)]);
  }
  for (const [name, value] of Object.entries(scores)) {
    if (!form.some((criterion) => criterion.name === name)) rows.push([name, String(value)]);
  }
  return rows;
}

function scoreText(value, scale) {
  if (scale === "yes/no") return String(value);
  return `${value} of ${scale.split("-")[1]}`;
}

/** Who reviewed a chat and when it was last changed: "Sue Park · 12 Nov 14:05". */
export function reviewByline(review) {
  const day = new Date(review.updated_at * 1000).toLocaleDateString([], { day: "numeric", month: "short" });
  return `${review.reviewer} · ${day} ${clockTime(review.updated_at)}`;
}

/** A ticket's status in words. */
export const TICKET_STATUSES = { open: "Open", pending: "Pending customer", solved: "Solved" };

/** A long span in words, to the minute: "under a minute", "25 min", "3 h 5 min", "2 d 4 h". */
export function roughDuration(seconds) {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return hours % 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${Math.floor(hours / 24)} d`;
}

/** A ticket's SLA clock at `now`: {text: "3 h 5 min left" or "Overdue by 25 min", overdue};
 * null for a solved ticket or one without a deadline. */
export function slaClock(ticket, now) {
  if (ticket.status === "solved" || ticket.due_at === null || ticket.due_at === undefined) return null;
  const left = ticket.due_at - now;
  if (left > 0 && !ticket.breached) return { text: `${roughDuration(left)} left`, overdue: false };
  return { text: left < 0 ? `Overdue by ${roughDuration(-left)}` : "Overdue", overdue: true };
}

/** A ticket's name in lists and headings: its reference, and its subject when that says more. */
export function ticketTitle(ticket) {
  const subject = ticket.subject || "";
  return subject && !subject.includes(ticket.id) ? `${ticket.id} · ${subject}` : ticket.id;
}

/** Who wrote a message of a ticket's thread, and how: "dana@example.com, by email",
 * "You, emailed", "Note by ann" (agents by login). */
export function mailAuthor(message, myId) {
  const who = message.author === myId ? "you" : message.author || "an agent";
  if (message.direction === "in") return `${message.author || "Customer"}, by email`;
  if (message.direction === "note") return `Note by ${who}`;
  return `${who[0].toUpperCase()}${who.slice(1)}, emailed`;
}
