// The login page: sends the form as JSON (the server accepts only JSON) and shows what went wrong.
import { login } from "./api.js";

const form = document.getElementById("login-form");
const problem = document.getElementById("login-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  problem.textContent = "";
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await login(form.elements.login.value, form.elements.password.value);
    window.location.assign("/agent");
  } catch (error) {
    problem.textContent = error.message;
    form.elements.password.select();
    button.disabled = false;
  }
});
