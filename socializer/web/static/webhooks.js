// Webhooks: add an endpoint (its secret shown once, as the API answers it, and kept nowhere), send a
// test event, enable or disable, rotate the secret, redeliver since a time, delete — all through the API.
"use strict";
(() => {
  const API = "/api/v1/social/webhooks/";

  function showSecret(secret) {
    const box = document.getElementById("secret-box");
    document.getElementById("secret").textContent = secret;
    box.hidden = false;
    document.getElementById("secret").focus();
  }

  const form = document.getElementById("webhook-form");
  if (form) {
    const urlError = document.getElementById("w-url-error");
    const typesError = document.getElementById("w-types-error");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      urlError.textContent = "";
      typesError.textContent = "";
      const data = new FormData(form);
      const body = { url: String(data.get("url")).trim(), event_types: data.getAll("event_types"), description: String(data.get("description") || "") };
      if (!body.event_types.length) { typesError.textContent = "event_types: tick at least one"; return; }
      const r = await Socializer.api("POST", API, body);
      if (!r.ok) {
        const field = (r.body && r.body.field) || "";
        (field.startsWith("event_types") ? typesError : urlError).textContent = Socializer.describe(r.body);
        Socializer.toast(Socializer.describe(r.body), true);
        return;
      }
      Socializer.toast("Endpoint added");
      // The list is the server's; the secret is shown beside it this once.
      const table = document.querySelector("table.webhooks tbody");
      if (table) {
        const tr = document.createElement("tr");
        tr.className = "endpoint";
        tr.dataset.endpointId = r.body.id;
        const a = document.createElement("a");
        a.href = `/socializer/webhooks/${encodeURIComponent(r.body.id)}`;
        a.textContent = r.body.url;
        const cells = [a, r.body.event_types.join(", "), "enabled", "just now"];
        cells.forEach((c) => { const td = document.createElement("td"); td.append(c); tr.append(td); });
        table.prepend(tr);
      } else {
        const p = document.createElement("p");
        p.className = "card endpoint";
        p.dataset.endpointId = r.body.id;
        const a = document.createElement("a");
        a.href = `/socializer/webhooks/${encodeURIComponent(r.body.id)}`;
        a.textContent = r.body.url;
        p.append("Added: ", a, ` (${r.body.event_types.join(", ")})`);
        form.closest("section").before(p);
      }
      form.reset();
      showSecret(r.body.secret);
    });
  }

  const box = document.getElementById("endpoint");
  if (!box || !document.getElementById("test-button")) return;
  const id = encodeURIComponent(box.dataset.endpointId);

  async function call(method, path, body, done) {
    const r = await Socializer.api(method, `${API}${id}/${path}`, body);
    if (!r.ok) { Socializer.toast(Socializer.describe(r.body), true); return; }
    done(r.body);
  }

  document.getElementById("test-button").addEventListener("click", () =>
    call("POST", "test/", undefined, () => { Socializer.toast("Test event queued; reloading its deliveries"); setTimeout(() => window.location.reload(), 1500); }));
  const toggle = document.getElementById("toggle-button");
  toggle.addEventListener("click", () => {
    const enable = toggle.dataset.enabled !== "true";
    call("PATCH", "", { enabled: enable }, () => window.location.reload());
  });
  document.getElementById("rotate-button").addEventListener("click", () => {
    if (!window.confirm("Rotate the secret? The old one still signs for 24 hours.")) return;
    call("POST", "rotate/", undefined, (b) => { Socializer.toast("Secret rotated"); showSecret(b.secret); });
  });
  document.getElementById("delete-button").addEventListener("click", () => {
    if (!window.confirm("Delete this endpoint, its deliveries and its secret?")) return;
    call("DELETE", "", undefined, () => window.location.assign("/socializer/webhooks"));
  });
  document.getElementById("redeliver-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const local = document.getElementById("since").value; // the browser's local time
    const since = new Date(local);
    if (Number.isNaN(since.getTime())) { Socializer.toast("since: pick a date and time", true); return; }
    call("POST", "redeliver/", { since: since.toISOString() }, (b) => { Socializer.toast(`${b.count} queued again`); setTimeout(() => window.location.reload(), 1500); });
  });
})();
