// Tandem's chat widget. A host page embeds it with one tag (attributes in widget/README.md):
//
//   <script type="module" src="https://GATEWAY/widget/tandem.js" data-title="Help"></script>
//
// This facade only wires the parts: the tag's settings, the socket (socket.js), the
// conversation (session.js), what is remembered (storage.js) and what is drawn (ui.js).

import { findOwnTag, readConfig } from "./config.js";
import { ChatSession } from "./session.js";
import { Connection } from "./socket.js";
import { SessionStore } from "./storage.js";
import { textColorOn } from "./theme.js";
import { ChatView } from "./ui.js";

/** Load tandem.css from beside this module; `onLoad` runs once it applies. */
function addStylesheet(onLoad) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("./tandem.css", import.meta.url).href;
  link.addEventListener("load", onLoad);
  link.addEventListener("error", () => {
    console.error(`Tandem: could not load ${link.href}; the chat widget is not shown.`);
  });
  document.head.append(link);
}

function mount() {
  const tag = findOwnTag(import.meta.url);
  const { settings, warnings, error } = readConfig(tag ? tag.dataset : {}, import.meta.url);
  for (const warning of warnings) console.warn(`Tandem: ${warning}`);
  if (error) {
    console.error(`Tandem: ${error}; the chat widget is not shown.`);
    return;
  }

  const store = new SessionStore(settings.server);
  const connection = new Connection({ url: settings.server });
  const session = new ChatSession({ connection, store, customerToken: settings.customerToken });

  // The panel's state is the page's, not the gateway's: open or not, and the last message seen.
  let sessionId = session.state.sessionId;
  let panel = store.panel(sessionId);
  let saved = panel; // written to localStorage only when it changes, not on every state
  const show = (state) => {
    if (state.sessionId !== sessionId) {
      sessionId = state.sessionId;
      panel = { ...panel, seenSeq: 0 };
    }
    if (panel.open && state.lastSeq > panel.seenSeq) panel = { ...panel, seenSeq: state.lastSeq };
    if (panel !== saved) {
      store.savePanel(sessionId, panel);
      saved = panel;
    }
    view.render(state, panel);
  };
  const setOpen = (open) => {
    panel = { ...panel, open };
    show(session.state);
  };

  const view = new ChatView(settings, {
    open: () => {
      setOpen(true);
      view.focusInput();
    },
    close: () => {
      setOpen(false);
      view.focusLauncher();
    },
    send: (text) => session.send(text),
    quickReply: (reply) => session.send(reply.title, reply.payload),
    typed: () => session.typed(),
    rate: (rating) => session.rate(rating),
    leaveEmail: (email) => session.leaveEmail(email),
  });
  const [r, g, b] = settings.color;
  view.root.style.setProperty("--tandem-accent", `rgb(${r}, ${g}, ${b})`);
  view.root.style.setProperty("--tandem-on-accent", textColorOn(settings.color));
  view.root.hidden = true; // until its stylesheet applies
  addStylesheet(() => {
    view.root.hidden = false;
  });
  document.body.append(view.root);

  session.subscribe(show);
  session.start();
}

mount();
