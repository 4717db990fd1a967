// The host page configures the widget with data- attributes on its <script> tag.

import { DEFAULT_COLOR, DEFAULT_TITLE, MAX_TITLE_CHARS } from "./constants.js";
import { parseColor } from "./theme.js";

/** The <script> tag that loaded `moduleUrl` (module scripts have no document.currentScript). */
export function findOwnTag(moduleUrl, doc = document) {
  return [...doc.querySelectorAll("script[src]")].find((tag) => tag.src === moduleUrl) || null;
}

/**
 * The widget's settings from a tag's dataset (`server`, `title`, `color`, `customerToken`).
 *
 * Returns `{ settings, warnings, error }`: a warning names an attribute we replaced by its
 * default; an `error` means the widget cannot start (settings is then null).
 */
export function readConfig(dataset, moduleUrl) {
  const warnings = [];
  const server = (dataset.server || "").trim() || new URL(moduleUrl).origin;
  let serverUrl;
  try {
    serverUrl = new URL(server);
  } catch {
    serverUrl = null;
  }
  if (!serverUrl || !["http:", "https:"].includes(serverUrl.protocol)) {
    return {
      settings: null,
      warnings,
      error: `data-server="${server}" is not an http(s) address like https://chat.example.com`,
    };
  }

  let title = (dataset.title || "").trim() || DEFAULT_TITLE;
  if (title.length > MAX_TITLE_CHARS) {
    warnings.push(`data-title is longer than ${MAX_TITLE_CHARS} characters; it was shortened.`);
    title = `${title.slice(0, MAX_TITLE_CHARS - 1)}…`;
  }

  let color = parseColor(DEFAULT_COLOR);
  if (dataset.color) {
    const chosen = parseColor(dataset.color);
    if (chosen) color = chosen;
    else {
      warnings.push(
        `data-color="${dataset.color}" is not a colour like #1d5fa8; using ${DEFAULT_COLOR}.`,
      );
    }
  }

  return {
    settings: {
      server: serverUrl.origin,
      title,
      color,
      customerToken: (dataset.customerToken || "").trim() || null,
    },
    warnings,
    error: null,
  };
}
