// Pure functions that turn the gateway's data into words and times for the console and the
// supervisor view. No DOM, no socket: easy to read, easy to test. The words themselves
// (skills, priorities, handoff reasons, resolutions) come from the server's vocabulary.

import vocabulary from "/agent/vocabulary.js";

export const REASONS = vocabulary.reasons;

export const PRIORITIES = vocabulary.priorities;

export const RESOLUTIONS = Object.keys(vocabulary.resolutions);

export const SKILLS = vocabulary.skills;

// What the bot's slots are called for a person reading the profile.
const SLOT_LABELS = {
  customer_id: "Customer id",
  reset_identifier: "Reset asked for",
  street: "Street",
  city: "City",
  postal_code: "Postal code",
  payment_amount: "Payment amount",
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

export function reasonLabel(reason) {
  return REASONS[reason] || reason || "Unknown reason";
}

export function priorityLabel(priority) {
  return PRIORITIES[priority] || priority || "Normal";
}

/** The name the console uses for a customer: their name, else a short form of the chat id. */
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

/**
 * The customer profile beside a chat, as [label, value] pairs: who they are and whether they
 * are verified (the website's token or the bot's check), the slots the bot collected, and where
 * the bot was when it handed over.
 */
export function profileRows(conversation) {
  const customer = conversation.customer || {};
  const packet = conversation.packet || {};
  const slots = packet.slots || {};
  const rows = [];
  if (customer.name) rows.push(["Name", customer.name]);
  const verified = Boolean(customer.verified || slots.verified);
  rows.push(["Identity", verified ? "Verified" : "Not verified"]);
  if (customer.customer_id && !slots.customer_id) rows.push(["Customer id", customer.customer_id]);
  for (const [slot, value] of Object.entries(slots)) {
    if (slot === "verified" || value === null || value === undefined) continue;
    rows.push([SLOT_LABELS[slot] || slot, String(value)]);
  }
  if (packet.active_form) {
    const asking = packet.requested_slot ? `, asking for ${packet.requested_slot}` : "";
    rows.push(["Interrupted task", `${packet.active_form}${asking}`]);
  }
  const intents = (packet.last_intents || []).filter((intent) => intent.name);
  if (intents.length) {
    rows.push([
      "Last intents",
      intents.map((intent) => `${intent.name} (${Math.round((intent.confidence || 0) * 100)}%)`).join(", "),
    ]);
  }
  return rows;
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
