// One supervisor's review of a chat as a list item: who and when, each answer, the comment.
// Shared by the supervisor's review section and the agent's "My reviews"; all of it is text.
import { reviewAnswers, reviewByline } from "./format.js";

/** A <li> for ``review``, its answers labelled with the questions of ``form``; ``title`` leads. */
export function reviewElement(review, form, title = "") {
  const item = document.createElement("li");
  item.className = "review";
  if (title) {
    const heading = document.createElement("p");
    heading.className = "review-title";
    heading.textContent = title;
    item.append(heading);
  }
  const by = document.createElement("p");
  by.className = "muted";
  by.textContent = reviewByline(review);
  const answers = document.createElement("dl");
  for (const [question, answer] of reviewAnswers(review, form)) {
    const term = document.createElement("dt");
    term.textContent = question;
    const detail = document.createElement("dd");
    detail.textContent = answer;
    answers.append(term, detail);
  }
  item.append(by, answers);
  if (review.comment) {
    const comment = document.createElement("p");
    comment.className = "comment";
    comment.textContent = review.comment;
    item.append(comment);
  }
  return item;
}
