// Supervisors add, edit and delete canned responses. The server checks the template (and the
// role) and says what is wrong; this only shows it.
import { addCanned, cannedList, deleteCanned, editCanned } from "../console/api.js";
import { confirmIn } from "../console/dialogs.js";

export class CannedEditor {
  constructor() {
    this.list = document.getElementById("canned-list");
    this.form = document.getElementById("canned-form");
    this.heading = document.getElementById("canned-form-heading");
    this.title = document.getElementById("canned-title");
    this.body = document.getElementById("canned-body");
    this.problem = document.getElementById("canned-problem");
    this.saved = document.getElementById("canned-saved");
    this.editing = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    document.getElementById("canned-new").addEventListener("click", () => this.edit(null));
  }

  async load() {
    try {
      this.render(await cannedList());
    } catch (error) {
      this.problem.textContent = error.message;
    }
  }

  render(responses) {
    this.list.replaceChildren();
    for (const response of responses) {
      const item = document.createElement("li");
      const title = document.createElement("span");
      title.textContent = response.title;
      const buttons = document.createElement("span");
      buttons.className = "dialog-buttons";
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "secondary";
      edit.textContent = "Edit";
      edit.setAttribute("aria-label", `Edit ${response.title}`);
      edit.addEventListener("click", () => this.edit(response));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Delete";
      remove.setAttribute("aria-label", `Delete ${response.title}`);
      remove.addEventListener("click", () => this.remove(response));
      buttons.append(edit, remove);
      item.append(title, buttons);
      this.list.append(item);
    }
  }

  edit(response) {
    this.editing = response;
    this.heading.textContent = response ? `Edit "${response.title}"` : "New canned response";
    this.title.value = response ? response.title : "";
    this.body.value = response ? response.body : "";
    this.problem.textContent = "";
    this.saved.textContent = "";
    this.title.focus();
  }

  async save() {
    this.problem.textContent = "";
    this.saved.textContent = "";
    try {
      const { canned } = this.editing
        ? await editCanned(this.editing.id, this.title.value, this.body.value)
        : await addCanned(this.title.value, this.body.value);
      this.editing = canned;
      this.heading.textContent = `Edit "${canned.title}"`;
      this.saved.textContent = `Saved "${canned.title}".`;
      await this.load();
    } catch (error) {
      this.problem.textContent = error.message;
    }
  }

  async remove(response) {
    const confirmed = await confirmIn(
      document.getElementById("delete-dialog"),
      `Delete "${response.title}"? Agents will no longer have it.`,
    );
    if (!confirmed) return;
    try {
      await deleteCanned(response.id);
      if (this.editing && this.editing.id === response.id) this.edit(null);
      this.saved.textContent = `Deleted "${response.title}".`;
      await this.load();
    } catch (error) {
      this.problem.textContent = error.message;
    }
  }
}
