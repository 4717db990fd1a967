// The "Log out" button of every console page. With chats open (the console says how many in
// body[data-open-chats]), the agent confirms first: their chats go back to the queue.
import { logout } from "./api.js";
import { confirmIn } from "./dialogs.js";

document.getElementById("logout").addEventListener("click", async () => {
  const open = Number(document.body.dataset.openChats || 0);
  const dialog = document.getElementById("logout-dialog");
  if (open > 0 && dialog) {
    const chats = open === 1 ? "1 open chat" : `${open} open chats`;
    const text = `You have ${chats}. Logging out sends them back to the front of the queue for a colleague.`;
    if (!(await confirmIn(dialog, text))) return;
  }
  try {
    await logout();
  } finally {
    window.location.assign("/agent");
  }
});
