// Colours: the host site picks the accent; we pick a text colour that stays readable on it.

const HEX_COLOR = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

/** "#1d5fa8" or "#18a" as [r, g, b] (0–255), or null when it is not such a colour. */
export function parseColor(text) {
  const match = HEX_COLOR.exec(String(text).trim());
  if (!match) return null;
  const digits = match[1].length === 3 ? [...match[1]].map((d) => d + d).join("") : match[1];
  return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
}

/** WCAG 2 relative luminance of an [r, g, b] colour. */
function luminance(rgb) {
  const [r, g, b] = rgb.map((value) => {
    const v = value / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two [r, g, b] colours (1 to 21). */
function contrastRatio(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** Black or white, whichever reads better on `rgb`; one of them always reaches 4.5:1. */
export function textColorOn(rgb) {
  const white = [255, 255, 255];
  const black = [0, 0, 0];
  return contrastRatio(white, rgb) >= contrastRatio(black, rgb) ? "#ffffff" : "#000000";
}
