// The widget's fixed choices, in one place.

export const DEFAULT_TITLE = "Chat with us";
// White text on it has a contrast of 6.4:1 (WCAG asks for 4.5:1).
export const DEFAULT_COLOR = "#1d5fa8";
// A title longer than this would not fit the header; it is cut with an ellipsis.
export const MAX_TITLE_CHARS = 60;

// The customer counts as still typing until this long after their last keystroke.
export const TYPING_IDLE_MS = 2000;
// A list of messages this close to its end keeps following new ones.
export const STICK_TO_BOTTOM_PX = 48;
// Screens where the panel covers the whole page (the same width as in tandem.css).
export const PHONE_SCREEN = "(max-width: 480px)";

// localStorage keys: the session of each gateway, and what is remembered per session.
export const STORAGE_PREFIX = "tandem:";

// The gateway refuses longer messages (handoff/namespace.py MAX_TEXT); the input stops there.
export const MAX_MESSAGE_CHARS = 5000;
