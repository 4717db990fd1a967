// Small horizontal bar charts as inline SVG, built with createElementNS (no chart library).
// Each chart is one image to assistive technology, named with every value it shows.

const SVG = "http://www.w3.org/2000/svg";
const ROW = 24;
const LABEL_WIDTH = 120;
const BAR_WIDTH = 150;
const VALUE_WIDTH = 70;

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/**
 * A <figure> with a caption and one bar per `{label, value, text}`; bars scale to the largest
 * value, `text` is what is written beside the bar (default: the value).
 */
export function barChart(caption, bars) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const title = document.createElement("figcaption");
  title.textContent = caption;
  const width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH;
  const height = ROW * bars.length;
  const summary = bars.map((bar) => `${bar.label}: ${bar.text ?? bar.value}`).join(", ");
  const svg = svgElement("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  svg.setAttribute("aria-label", `${caption}: ${summary}`);
  const top = Math.max(...bars.map((bar) => bar.value || 0), 0);
  bars.forEach((bar, index) => {
    const y = index * ROW;
    const label = svgElement("text", { x: 0, y: y + 16 });
    label.textContent = bar.label;
    const length = top > 0 ? Math.max(2, ((bar.value || 0) / top) * BAR_WIDTH) : 2;
    const rect = svgElement("rect", { class: "bar", x: LABEL_WIDTH, y: y + 4, width: length, height: ROW - 8, rx: 2 });
    const value = svgElement("text", { x: LABEL_WIDTH + length + 6, y: y + 16 });
    value.textContent = String(bar.text ?? bar.value);
    svg.append(label, rect, value);
  });
  figure.append(title, svg);
  return figure;
}
