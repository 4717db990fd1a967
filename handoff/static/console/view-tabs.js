// The console's views, "Chats" and "Tickets", as tabs (the WAI-ARIA tabs pattern): Tab reaches
// the chosen one, the arrow keys, Home and End move between them. The choice is kept in the
// page's address (#tickets), so a reload or a link opens the same view. Each choice is told to
// the tablist's listeners as a "viewchange" event (its detail: the view's name).

export class ViewTabs {
  /** @param {HTMLElement} tablist  holds role="tab" buttons, each naming its panel (aria-controls) */
  constructor(tablist) {
    this.tablist = tablist;
    this.tabs = [...tablist.querySelectorAll("[role=tab]")];
    for (const tab of this.tabs) tab.addEventListener("click", () => this.select(tab.dataset.view));
    tablist.addEventListener("keydown", (event) => {
      const at = this.tabs.indexOf(document.activeElement);
      const to = {
        ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: this.tabs.length - 1,
      }[event.key];
      if (at < 0 || to === undefined) return;
      event.preventDefault();
      const tab = this.tabs[(to + this.tabs.length) % this.tabs.length];
      this.select(tab.dataset.view);
      tab.focus();
    });
    const fromAddress = this.tabs.find((tab) => `#${tab.dataset.view}` === window.location.hash);
    this.select((fromAddress || this.tabs[0]).dataset.view);
  }

  /** The name (data-view) of the view on screen. */
  get current() {
    return this.tabs.find((tab) => tab.getAttribute("aria-selected") === "true").dataset.view;
  }

  select(view) {
    for (const tab of this.tabs) {
      const chosen = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !chosen;
    }
    const first = this.tabs[0].dataset.view;
    window.history.replaceState(null, "", view === first ? window.location.pathname : `#${view}`);
    this.tablist.dispatchEvent(new CustomEvent("viewchange", { detail: view }));
  }

  /** Words beside a tab's name ("2 unread"); none when empty. */
  setCount(view, words) {
    const tab = this.tabs.find((candidate) => candidate.dataset.view === view);
    tab.querySelector(".count").textContent = words ? `(${words})` : "";
  }
}
