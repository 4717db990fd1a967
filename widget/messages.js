// Pure functions from the gateway's messages to what the widget shows; no DOM, no socket.

const SENDERS = new Set(["customer", "bot", "agent", "system"]);
// An https address inside a bot's text; punctuation right after it ends the sentence, not the URL.
const HTTPS_URL = /https:\/\/[^\s<>"']+/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

/**
 * One message as the view keeps it, from a `history` item, `bot_uttered`, `user_message` or a
 * `handoff` with a sequence number: Rasa's shape (`text`, `quick_replies`) with Tandem's extras
 * under `metadata`. Null when it is not a well-formed message.
 */
export function toMessage(data) {
  if (!data || typeof data !== "object" || !data.metadata || typeof data.metadata !== "object") {
    return null;
  }
  const { text } = data;
  const { seq, sender } = data.metadata;
  if (!Number.isInteger(seq) || seq < 1 || typeof text !== "string" || !SENDERS.has(sender)) {
    return null;
  }
  const quickReplies = Array.isArray(data.quick_replies)
    ? data.quick_replies
        .filter((reply) => typeof reply?.title === "string" && typeof reply?.payload === "string")
        .map(({ title, payload }) => ({ title, payload }))
    : [];
  const { agent_name: agentName, status } = data.metadata;
  return {
    seq,
    sender,
    text,
    agentName: sender === "agent" && typeof agentName === "string" ? agentName : null,
    status: sender === "system" && typeof status === "string" ? status : null,
    quickReplies,
  };
}

/** `messages` with `incoming` added, in sequence order; a sequence number already there is kept. */
export function mergeMessages(messages, incoming) {
  const bySeq = new Map(messages.map((message) => [message.seq, message]));
  for (const message of incoming) {
    if (!bySeq.has(message.seq)) bySeq.set(message.seq, message);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * A bot's text cut into parts: `{ text }` to show as text and `{ text, href }` for https links.
 * Only https addresses become links; nothing else in the text is markup.
 */
export function linkParts(text) {
  const parts = [];
  let shown = 0;
  for (const match of text.matchAll(HTTPS_URL)) {
    const candidate = match[0].replace(TRAILING_PUNCTUATION, "");
    let href = null;
    try {
      const url = new URL(candidate);
      if (url.protocol === "https:") href = url.href;
    } catch {
      href = null;
    }
    if (href === null) continue;
    if (match.index > shown) parts.push({ text: text.slice(shown, match.index) });
    parts.push({ text: candidate, href });
    shown = match.index + candidate.length;
  }
  if (shown < text.length) parts.push({ text: text.slice(shown) });
  return parts;
}

/** The status of the latest system notice ("closed", "offline", ...), or null. */
export function latestStatus(messages) {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    if (messages[i].sender === "system") return messages[i].status;
  }
  return null;
}

/** How many messages from others came after `seenSeq`. */
export function unreadCount(messages, seenSeq) {
  const fromOthers = (message) => message.seq > seenSeq && message.sender !== "customer";
  return messages.filter(fromOthers).length;
}

/** The waiting customer's place in line and the estimated wait, in words. */
export function describeQueue(position, waitSeconds) {
  const place =
    position === 1
      ? "You're next in line."
      : Number.isInteger(position) && position > 1
        ? `You're number ${position} in line.`
        : "You're in line for the next person available.";
  if (typeof waitSeconds !== "number" || waitSeconds < 0) return place;
  const minutes = Math.round(waitSeconds / 60);
  const wait =
    waitSeconds < 60
      ? "less than a minute"
      : minutes <= 1
        ? "about a minute"
        : `about ${minutes} minutes`;
  return `${place} Estimated wait: ${wait}.`;
}
