// Figures as a description list of [label, value] pairs, each pair in a box: today's figures
// and the reports' show them the same way. Values are set as text.

/** Replace the contents of the <dl> `list` with the `figures`. */
export function showFigures(list, figures) {
  list.replaceChildren();
  for (const [label, value] of figures) {
    const group = document.createElement("div");
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = value;
    group.append(term, detail);
    list.append(group);
  }
}
