// Notifications: mark one, or all, read through the API.
"use strict";
(() => {
  document.querySelectorAll("button.mark-read").forEach((button) => {
    button.addEventListener("click", async () => {
      const id = button.dataset.notificationId;
      const r = await Socializer.api("POST", `/api/v1/social/notifications/${encodeURIComponent(id)}/read/`);
      if (!r.ok) { Socializer.toast(Socializer.describe(r.body), true); return; }
      const row = button.closest("tr");
      row.classList.remove("unread");
      const mark = document.createElement("span");
      mark.className = "muted read-mark";
      mark.textContent = "read";
      button.replaceWith(mark);
      Socializer.toast("Marked read");
    });
  });
  const all = document.getElementById("read-all-button");
  if (all) {
    all.addEventListener("click", async () => {
      const r = await Socializer.api("POST", "/api/v1/social/notifications/read-all/");
      if (!r.ok) { Socializer.toast(Socializer.describe(r.body), true); return; }
      Socializer.toast(`${r.body.marked} marked read`);
      window.location.reload();
    });
  }
})();
