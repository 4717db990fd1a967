// Optional alerts for new chats and messages: a short sound, a desktop notification. Both are
// off until the agent turns them on; desktop notifications ask the browser's permission only
// then, never before. The choice is kept in this browser (localStorage).

const KEY = "tandem.console.alerts";

export class Alerts {
  constructor() {
    this.sound = document.getElementById("alert-sound");
    this.desktop = document.getElementById("alert-desktop");
    this.problem = document.getElementById("alerts-problem");
    const saved = JSON.parse(localStorage.getItem(KEY) || "{}");
    this.sound.checked = Boolean(saved.sound);
    // Permission may have been taken back since: only "granted" keeps it on.
    this.desktop.checked = Boolean(saved.desktop) && window.Notification?.permission === "granted";
    this.sound.addEventListener("change", () => this._save());
    this.desktop.addEventListener("change", () => this._desktopChanged());
  }

  async _desktopChanged() {
    this.problem.textContent = "";
    if (this.desktop.checked) {
      if (!window.Notification) {
        this.desktop.checked = false;
        this.problem.textContent = "This browser cannot show desktop notifications.";
      } else if ((await Notification.requestPermission()) !== "granted") {
        this.desktop.checked = false;
        this.problem.textContent = "The browser did not allow notifications; change it in the site's settings.";
      }
    }
    this._save();
  }

  _save() {
    localStorage.setItem(KEY, JSON.stringify({ sound: this.sound.checked, desktop: this.desktop.checked }));
  }

  /** Alert the agent, as they chose: `title` and `body` for a notification. */
  notify(title, body) {
    try {
      if (this.sound.checked) beep();
      if (this.desktop.checked && window.Notification?.permission === "granted") {
        new Notification(title, { body, tag: "tandem-console" });
      }
    } catch (error) {
      // An alert that cannot play must not stop the console from showing the chat.
      console.warn("The alert could not be given:", error);
    }
  }
}

/** A short, quiet two-tone chime made in the browser: no sound file to fetch. */
function beep() {
  const context = new AudioContext();
  const gain = context.createGain();
  gain.gain.value = 0.08;
  gain.connect(context.destination);
  [880, 660].forEach((frequency, index) => {
    const tone = context.createOscillator();
    tone.frequency.value = frequency;
    tone.connect(gain);
    tone.start(context.currentTime + index * 0.15);
    tone.stop(context.currentTime + index * 0.15 + 0.12);
  });
  setTimeout(() => context.close(), 600);
}
