// The "Log out" button of every console page.
import { logout } from "./api.js";

document.getElementById("logout").addEventListener("click", async () => {
  try {
    await logout();
  } finally {
    window.location.assign("/agent");
  }
});
