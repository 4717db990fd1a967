// A table cell of the supervisor view's tables, its text set as text (never HTML).

/** A <td> holding `text`, with `className` if given. */
export function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
