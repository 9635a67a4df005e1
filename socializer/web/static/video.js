// The Video Creator's pages: every action is a call to the video API (/api/v1/video/...) with the
// project's version as If-Match and an Idempotency-Key, exactly as any API client sends it.
"use strict";
(() => {
  const API = "/api/v1/video/projects/";

  function fieldError(el, message) {
    if (!el) return;
    el.textContent = message || "";
  }

  // ---- the create form
  const create = document.getElementById("create-video");
  if (create) {
    create.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      create.querySelectorAll(".field-error").forEach((el) => fieldError(el, ""));
      create.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      const body = {
        content_id: create.content_id.value.trim(),
        preset: create.preset.value,
        review: create.review.checked,
      };
      if (create.voice_id.value) body.voice_id = create.voice_id.value;
      const button = create.querySelector("button[type=submit]");
      button.disabled = true;
      const r = await Socializer.api("POST", API, body);
      button.disabled = false;
      if (r.ok && r.body && r.body.project_id) {
        window.location.assign(`/video/projects/${encodeURIComponent(r.body.project_id)}`);
        return;
      }
      const field = r.body && r.body.field ? String(r.body.field).split(".")[0] : "";
      const input = field ? create.querySelector(`#${CSS.escape(field)}`) : null;
      const where = field ? create.querySelector(`.field-error[data-field="${CSS.escape(field)}"]`) : null;
      if (input) input.setAttribute("aria-invalid", "true");
      fieldError(where || document.getElementById("form-error"), Socializer.describe(r.body));
      (input || button).focus();
    });
  }

  // ---- one project
  const project = document.getElementById("project");
  if (!project) return;
  const id = project.dataset.projectId;
  const base = `${API}${encodeURIComponent(id)}/`;
  const version = () => project.dataset.version;

  async function act(method, url, body, button) {
    if (button) button.disabled = true;
    const r = await Socializer.api(method, url, body, { ifMatch: version() });
    if (r.ok) {
      Socializer.toast(r.body && r.body.status === "pending" ? "Sent; the project will show it shortly." : "Done.");
      window.location.reload();
      return r;
    }
    if (button) button.disabled = false;
    Socializer.toast(Socializer.describe(r.body), true);
    return r;
  }

  project.querySelectorAll("form.section").forEach((form) => {
    const textarea = form.querySelector("textarea");
    const error = form.querySelector(".field-error");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      fieldError(error, "");
      textarea.removeAttribute("aria-invalid");
      const body = { revision: Number(project.dataset.revision), sections: [{ section_id: form.dataset.sectionId, text: textarea.value }] };
      const r = await act("PUT", `${base}script/`, body, form.querySelector("button.save"));
      if (!r.ok) {
        // The validator's answer at the field it names (sections.0.text is this section's text).
        const field = (r.body && r.body.field) || "";
        if (field.startsWith("sections.") || field === "revision" || field === "If-Match" || field === "version" || !field) {
          textarea.setAttribute("aria-invalid", "true");
          fieldError(error, Socializer.describe(r.body));
          textarea.focus();
        }
      }
    });
    const regen = form.querySelector("button.regenerate");
    if (regen) {
      regen.addEventListener("click", () => act("POST", `${base}regenerate-section/${encodeURIComponent(form.dataset.sectionId)}/`, undefined, regen));
    }
  });

  const approve = document.getElementById("approve");
  if (approve) {
    approve.addEventListener("click", () => act("POST", `${base}approve-script/`, { revision: Number(approve.dataset.revision) }, approve));
  }
  const compose = document.getElementById("compose");
  if (compose) compose.addEventListener("click", () => act("POST", `${base}compose/`, undefined, compose));
  const publish = document.getElementById("publish");
  if (publish) {
    publish.addEventListener("click", async () => {
      publish.disabled = true;
      const r = await Socializer.api("POST", `${base}publish/`, { now: false });
      if (r.ok) { Socializer.toast("Approved: each goes out at its account's next best time."); window.location.reload(); return; }
      publish.disabled = false;
      Socializer.toast(Socializer.describe(r.body), true);
    });
  }

  // While it renders, follow its progress; when it stops, show what it made.
  if (project.dataset.status === "rendering") {
    const timer = setInterval(async () => {
      const r = await Socializer.api("GET", base);
      if (!r.ok || !r.body) return;
      for (const [stage, value] of Object.entries(r.body.progress || {})) {
        const bar = project.querySelector(`progress[data-stage="${CSS.escape(stage)}"]`);
        if (bar) { bar.value = value; bar.textContent = `${Math.round(value * 100)}%`; }
      }
      if (r.body.status !== "rendering") { clearInterval(timer); window.location.reload(); }
    }, 2000);
  }
})();
