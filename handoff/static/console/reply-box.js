// The reply box of a chat or a ticket (templates/reply_form.html): one text, written either to
// the customer or as an internal note that only agents and supervisors read. A note looks and
// reads differently everywhere: label, colour, hint, button. What the text is sent to, and
// when, is the caller's: the box never sends anything.

let boxCount = 0;

export class ReplyBox {
  /**
   * @param {HTMLFormElement} form
   * @param {{send: string, onModeChange: (note: boolean) => void}} options: the submit button's
   *   words for the customer; called after each switch between reply and note
   */
  constructor(form, { send = "Send", onModeChange = () => {} } = {}) {
    boxCount += 1;
    const id = `reply-box-${boxCount}`;
    this.form = form;
    this.sendWords = send;
    this.onModeChange = onModeChange;
    this.reply = form.querySelector(".reply");
    this.label = form.querySelector(".reply-label");
    this.hint = form.querySelector(".hint");
    this.noteHint = form.querySelector(".note-hint");
    this.submit = form.querySelector("button[type=submit]");
    this.modeReply = form.querySelector(".mode-reply");
    this.modeNote = form.querySelector(".mode-note");
    this.reply.id = `${id}-text`;
    this.label.htmlFor = this.reply.id;
    this.hint.id = `${id}-hint`;
    this.noteHint.id = `${id}-note-hint`;
    for (const [mode, radio] of [["reply", this.modeReply], ["note", this.modeNote]]) {
      radio.name = `${id}-mode`;
      radio.id = `${id}-mode-${mode}`;
      form.querySelector(`.mode-${mode}-label`).htmlFor = radio.id;
      radio.addEventListener("change", () => this._showMode());
    }
    this._showMode();
  }

  /** Writing a note (for agents only) rather than a reply to the customer. */
  get noteMode() {
    return this.modeNote.checked;
  }

  /** Switch between replying and writing a note; the text written so far stays. */
  setNoteMode(on) {
    this.modeNote.checked = on;
    this.modeReply.checked = !on;
    this._showMode();
  }

  /** The text written, without surrounding spaces. */
  get text() {
    return this.reply.value.trim();
  }

  /** Put text in the box at the cursor (replacing a leading "/" that opened the search). */
  insert(text) {
    const reply = this.reply;
    const before = reply.value.slice(0, reply.selectionStart);
    const after = reply.value.slice(reply.selectionEnd);
    reply.value = before + text + after;
    const cursor = before.length + text.length;
    reply.setSelectionRange(cursor, cursor);
    reply.focus();
  }

  _showMode() {
    const note = this.noteMode;
    this.form.classList.toggle("note-mode", note);
    this.label.textContent = note ? "Note" : "Reply";
    this.submit.textContent = note ? "Add note" : this.sendWords;
    this.noteHint.hidden = !note;
    this.reply.setAttribute("aria-describedby", note ? `${this.noteHint.id} ${this.hint.id}` : this.hint.id);
    this.onModeChange(note);
  }
}
