// Automations: create a simple one (a keyword, one answer) as a draft; activate, pause or delete one
// through the API with If-Match on the version the page showed (a change made meanwhile is a 409).
"use strict";
(() => {
  const API = "/api/v1/social/automations/";

  // Retried with the same Idempotency-Key while the writer answers 202 "pending".
  async function decided(method, url, body, opts) {
    for (let i = 0; i < 20; i++) {
      const r = await Socializer.api(method, url, body, opts);
      if (r.status !== 202) return r;
      await new Promise((ok) => setTimeout(ok, 1000));
    }
    return { ok: false, status: 202, body: { title: "Pending", detail: "the automation's writer has not answered yet; reload later" } };
  }

  const form = document.getElementById("automation-form");
  if (form) {
    const error = document.getElementById("automation-error");
    let key = Socializer.key();
    form.addEventListener("input", () => { key = Socializer.key(); }); // another definition, another request
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.textContent = "";
      const data = new FormData(form);
      const type = data.get("type");
      const definition = {
        name: String(data.get("name")).trim(),
        trigger: { on: data.getAll("on"), keywords: String(data.get("keywords")).split(",").map((k) => k.trim()).filter(Boolean) },
        nodes: [{ id: "answer", type, text: String(data.get("text")) }],
        start: "answer",
      };
      if (!definition.trigger.on.length) { error.textContent = "trigger.on: tick at least one kind"; return; }
      const r = await decided("POST", API, definition, { idempotencyKey: key });
      if (!r.ok) {
        error.textContent = Socializer.describe(r.body);
        Socializer.toast(Socializer.describe(r.body), true);
        return;
      }
      window.location.assign(`/socializer/automations/${encodeURIComponent(r.body.automation_id)}`);
    });
  }

  const box = document.getElementById("automation");
  if (!box) return;
  const id = box.dataset.automationId;
  const status = document.getElementById("automation-status");
  const error = document.getElementById("automation-error");
  const activate = document.getElementById("activate-button");
  const pause = document.getElementById("pause-button");
  const del = document.getElementById("delete-button");
  if (!activate) return;

  function showStatus(value, version) {
    status.textContent = value;
    status.dataset.status = value;
    status.className = `badge ${value}`;
    if (version !== undefined && version !== null) {
      box.dataset.version = String(version);
      document.getElementById("automation-version").textContent = String(version);
    }
    activate.disabled = value === "active";
    pause.disabled = value !== "active";
  }

  async function transition(method, path, label) {
    error.textContent = "";
    const r = await decided(method, `${API}${encodeURIComponent(id)}/${path}`, undefined, { ifMatch: box.dataset.version, idempotencyKey: Socializer.key() });
    if (!r.ok) {
      error.textContent = Socializer.describe(r.body);
      Socializer.toast(Socializer.describe(r.body), true);
      return null;
    }
    Socializer.toast(`${label}: ${r.body.status}`);
    return r.body;
  }

  activate.addEventListener("click", async () => {
    const b = await transition("POST", "activate/", "Activated");
    if (b) showStatus(b.status, b.version);
  });
  pause.addEventListener("click", async () => {
    const b = await transition("POST", "pause/", "Paused");
    if (b) showStatus(b.status, b.version);
  });
  const edit = document.getElementById("definition-form");
  if (edit) {
    const field = document.getElementById("definition-json");
    const editError = document.getElementById("definition-error");
    edit.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      editError.textContent = "";
      let definition;
      try { definition = JSON.parse(field.value); } catch (err) { editError.textContent = `definition: not JSON (${err.message})`; field.focus(); return; }
      const r = await decided("PUT", `${API}${encodeURIComponent(id)}/`, definition, { ifMatch: box.dataset.version, idempotencyKey: Socializer.key() });
      if (!r.ok) {
        editError.textContent = Socializer.describe(r.body);
        Socializer.toast(Socializer.describe(r.body), true);
        return;
      }
      Socializer.toast(`Saved: version ${r.body.version}`);
      window.location.reload();
    });
  }

  del.addEventListener("click", async () => {
    if (!window.confirm("Delete this automation? Its runs end.")) return;
    const b = await transition("DELETE", "", "Deleted");
    if (b) window.location.assign("/socializer/automations");
  });
})();
