// "My reviews": what supervisors said of the agent's closed chats (GET /agent/api/reviews),
// loaded when the console opens and on "Refresh". The server sends only the agent's own.
import { myReviews } from "./api.js";
import { chatSummary } from "./format.js";
import { reviewElement } from "./review-card.js";

const el = (id) => document.getElementById(id);

function chatTitle(review) {
  const day = new Date(review.closed_at * 1000).toLocaleDateString([], { day: "numeric", month: "short" });
  return `Chat closed ${day} · ${chatSummary(review)}`;
}

async function load() {
  el("my-reviews-problem").textContent = "";
  try {
    const { reviews, form } = await myReviews();
    el("my-reviews-list").replaceChildren(...reviews.map((review) => reviewElement(review, form, chatTitle(review))));
    el("my-reviews-empty").hidden = reviews.length > 0;
    el("my-reviews-count").textContent = String(reviews.length);
  } catch (error) {
    el("my-reviews-problem").textContent = `Reviews could not be loaded: ${error.message}`;
  }
}

/** Load the reviews now, and again on "Refresh". */
export function startMyReviews() {
  el("my-reviews-refresh").addEventListener("click", load);
  load();
}
