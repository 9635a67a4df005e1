// The accounts page: Connect and Re-authorise start the API's OAuth connection and send the browser to
// the platform (it comes back through the API's callback to this page); settings go through the API's
// PUT with the settings' ETag as If-Match.
"use strict";
(() => {
  const CONNECT = "/api/v1/social/accounts/connect/";

  async function connect(platform, body, errorEl, button) {
    if (button) button.disabled = true;
    const r = await Socializer.api("POST", `${CONNECT}${encodeURIComponent(platform)}/`, body);
    if (r.ok && r.body && r.body.authorization_url) {
      window.location.assign(r.body.authorization_url);
      return;
    }
    if (button) button.disabled = false;
    if (errorEl) errorEl.textContent = Socializer.describe(r.body);
    Socializer.toast(Socializer.describe(r.body), true);
  }

  const form = document.getElementById("connect");
  if (form) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const [platform, kind] = form.what.value.split(":");
      connect(platform, { account_type: kind }, document.getElementById("connect-error"), form.querySelector("button"));
    });
  }

  document.querySelectorAll("button.reauth").forEach((button) => {
    button.addEventListener("click", () => {
      const d = button.dataset;
      // The same account again: its kind, and only it (its settings are kept).
      connect(d.platform, { account_type: d.accountType, select: [d.platformAccountId] }, null, button);
    });
  });

  document.querySelectorAll("form.settings").forEach((settings) => {
    settings.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      settings.querySelectorAll(".field-error").forEach((el) => { el.textContent = ""; });
      settings.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      const times = settings.best_times.value.split(",").map((t) => t.trim()).filter(Boolean);
      const body = {
        auto_publish: settings.auto_publish.checked,
        max_per_day: Number(settings.max_per_day.value),
        cooldown_hours: Number(settings.cooldown_hours.value),
        best_times: times,
      };
      const button = settings.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      const url = `/api/v1/social/accounts/${encodeURIComponent(settings.dataset.accountId)}/settings/`;
      const r = await Socializer.api("PUT", url, body, { ifMatch: settings.dataset.tag });
      if (button) button.disabled = false;
      if (r.ok) {
        if (r.etag) settings.dataset.tag = r.etag.replace(/^W\//, "").replace(/"/g, "");
        Socializer.toast("Settings saved.");
        return;
      }
      // The validator's 422 at the field it names (best_times.1 is the best times' field).
      const field = String((r.body && r.body.field) || "").split(".")[0];
      const input = field && settings.elements[field];
      const where = settings.querySelector(`.field-error[data-field="${CSS.escape(input ? field : "form")}"]`);
      if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); input.focus(); }
      where.textContent = Socializer.describe(r.body) + (r.status === 409 ? " Reload the page to see them." : "");
      Socializer.toast(Socializer.describe(r.body), true);
    });
  });
})();
