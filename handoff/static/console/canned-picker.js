// The canned-response search of one reply box: "/" at the start of the box, or Ctrl+K, opens
// it; typing filters; arrows move; Enter inserts the response, filled in by the server for this
// chat's customer; Escape closes. Each option previews the text as this customer would read it
// (never the template's code); one that cannot be filled in says why and changes nothing else.

let pickerCount = 0;

/** Responses whose title or text, as filled in, contains every word of `query` (any case). */
export function matching(responses, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return responses.filter((response) => {
    const haystack = `${response.title} ${response.text || ""}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

export class CannedPicker {
  /**
   * @param {ChatPanel} panel
   * @param {{list: () => Promise<Array<{id, title, text, problem}>>, fill: (id) => Promise<string>}} source
   */
  constructor(panel, source) {
    pickerCount += 1;
    this.panel = panel;
    this.source = source;
    this.box = panel.element.querySelector(".canned-picker");
    this.search = this.box.querySelector(".canned-search");
    this.list = this.box.querySelector(".canned-options");
    this.prefix = `canned-${pickerCount}`;
    this.search.id = `${this.prefix}-search`;
    this.box.querySelector(".canned-label").htmlFor = this.search.id;
    this.list.id = `${this.prefix}-list`;
    this.search.setAttribute("aria-controls", this.list.id);
    this.responses = [];
    this.shown = [];
    this.active = 0;
    this.loaded = false;
    this.enterPending = false;
    this._wire();
  }

  get isOpen() {
    return !this.box.hidden;
  }

  async open() {
    this.box.hidden = false;
    this.search.value = "";
    this.search.focus();
    this.loaded = false;
    try {
      this.responses = await this.source.list();
      this.panel.showProblem("");
    } catch (error) {
      this.panel.showProblem(`Canned responses could not be loaded: ${error.message}`);
      this.responses = [];
    }
    this.loaded = true;
    this._filter();
    // Enter pressed while the list was on its way chooses as soon as it is here.
    if (this.enterPending) {
      this.enterPending = false;
      if (this.shown[this.active]) this.choose(this.shown[this.active]);
    }
  }

  close() {
    this.box.hidden = true;
    this.search.removeAttribute("aria-activedescendant");
    this.panel.parts.reply.focus();
  }

  async choose(response) {
    this.close();
    try {
      const text = await this.source.fill(response.id);
      this.panel.showProblem("");
      this.panel.insert(text);
    } catch (error) {
      this.panel.showProblem(`"${response.title}" could not be used: ${error.message}`);
    }
  }

  _wire() {
    const reply = this.panel.parts.reply;
    reply.addEventListener("keydown", (event) => {
      const slashAtStart = event.key === "/" && reply.value.trim() === "" && !event.ctrlKey && !event.metaKey;
      const shortcut = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k";
      if (slashAtStart || shortcut) {
        event.preventDefault();
        this.open();
      }
    });
    this.search.addEventListener("input", () => this._filter());
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        this._highlight((this.active + step + this.shown.length) % Math.max(1, this.shown.length));
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (!this.loaded) this.enterPending = true;
        else if (this.shown[this.active]) this.choose(this.shown[this.active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.close();
      }
    });
    // Tabbing or clicking away closes the search (options keep the focus here: see below).
    this.search.addEventListener("blur", () => {
      this.box.hidden = true;
    });
  }

  _filter() {
    this.shown = matching(this.responses, this.search.value);
    this.list.replaceChildren();
    this.shown.forEach((response, index) => {
      const option = document.createElement("li");
      option.id = `${this.prefix}-option-${index}`;
      option.setAttribute("role", "option");
      option.className = "canned-option";
      const title = document.createElement("span");
      title.className = "canned-title";
      title.textContent = response.title;
      const body = document.createElement("span");
      body.className = response.text === null ? "canned-body canned-problem" : "canned-body";
      body.textContent = response.text === null ? `Cannot be used here: ${response.problem}` : response.text;
      option.append(title, body);
      // Pressing an option must not blur the search (which would close it before the click).
      option.addEventListener("pointerdown", (event) => event.preventDefault());
      option.addEventListener("click", () => this.choose(response));
      this.list.append(option);
    });
    if (!this.shown.length) {
      const none = document.createElement("li");
      none.className = "canned-none";
      none.textContent = this.responses.length ? "No canned response matches." : "No canned responses.";
      this.list.append(none);
    }
    this._highlight(0);
  }

  _highlight(index) {
    this.active = index;
    const options = this.list.querySelectorAll("[role=option]");
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (options[index]) {
      this.search.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      this.search.removeAttribute("aria-activedescendant");
    }
  }
}
