// Queues: create one from the form (the API's 422 at the field it names); on a queue's page add an
// item, give one priority, pause and resume — each the API's own route, with If-Match on the version
// the page showed (a change made meanwhile is a 409, shown) and an Idempotency-Key.
"use strict";
(() => {
  const API = "/api/v1/social/queues/";
  const PAGES = "/socializer/queues/";

  // Retried with the same Idempotency-Key while the queues' writer answers 202 "pending".
  async function decided(method, url, body, opts) {
    for (let i = 0; i < 20; i++) {
      const r = await Socializer.api(method, url, body, opts);
      if (r.status !== 202) return r;
      await new Promise((ok) => setTimeout(ok, 1000));
    }
    return { ok: false, status: 202, body: { title: "Pending", detail: "the queues' writer has not answered yet; reload later" } };
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((el) => { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  /** The problem at the field it names (items.0.text is the text's), else at the form's own line. */
  function showProblem(form, problem, fallback) {
    const name = String((problem && problem.field) || "").split(".").filter((p) => !/^\d+$/.test(p)).pop() || "";
    const input = name ? form.elements[name] : null;
    const where = name ? form.querySelector(`.field-error[data-field="${CSS.escape(name)}"]`) : null;
    const message = Socializer.describe(problem);
    if (input && input.setAttribute && where) {
      input.setAttribute("aria-invalid", "true");
      where.textContent = message;
      input.focus();
    } else {
      fallback.textContent = message;
    }
    Socializer.toast(message, true);
  }

  // ---- the list: a new queue
  const create = document.getElementById("queue-form");
  if (create) {
    const error = document.getElementById("queue-form-error");
    let key = Socializer.key();
    create.addEventListener("input", () => { key = Socializer.key(); }); // another queue, another request
    create.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(create);
      const data = new FormData(create);
      const body = {
        name: String(data.get("name") || "").trim(),
        account_id: String(data.get("account_id") || ""),
        kind: String(data.get("kind") || "fifo"),
        rrule: String(data.get("rrule") || "").trim(),
        tzid: String(data.get("tzid") || "").trim(),
      };
      if (body.kind === "evergreen") {
        const content = String(data.get("content_id") || "").trim();
        if (content) body.content_id = content;
        const gap = String(data.get("min_gap_hours") || "").trim();
        body.min_gap_hours = gap === "" ? 0 : Number(gap);
      }
      const button = create.querySelector("button[type=submit]");
      button.disabled = true;
      const r = await decided("POST", API, body, { idempotencyKey: key });
      button.disabled = false;
      if (!r.ok) { showProblem(create, r.body, error); return; }
      window.location.assign(PAGES + encodeURIComponent(r.body.queue_id));
    });
  }

  // ---- one queue
  const box = document.getElementById("queue");
  if (!box || !document.getElementById("pause-button")) return;
  const base = `${API}${encodeURIComponent(box.dataset.queueId)}/`;
  const version = () => box.dataset.version;
  const error = document.getElementById("queue-error");

  /** One command with the version shown as If-Match; on success the page is drawn again from the read model. */
  async function act(path, body, opts, label) {
    const r = await decided("POST", base + path, body, { ifMatch: version(), idempotencyKey: Socializer.key(), ...opts });
    if (!r.ok) return r;
    if (r.body && r.body.version !== undefined) box.dataset.version = String(r.body.version);
    Socializer.toast(`${label}: ${r.body.status}`);
    window.location.reload();
    return r;
  }

  async function transition(path, label) {
    error.textContent = "";
    const r = await act(path, undefined, {}, label);
    if (!r.ok) {
      error.textContent = Socializer.describe(r.body);
      Socializer.toast(Socializer.describe(r.body), true);
    }
  }

  document.getElementById("pause-button").addEventListener("click", () => transition("pause/", "Paused"));
  document.getElementById("resume-button").addEventListener("click", () => transition("resume/", "Resumed"));

  document.querySelectorAll("tr.queue-item .priority-button").forEach((button) => {
    button.addEventListener("click", async () => {
      error.textContent = "";
      const item = button.closest("tr.queue-item").dataset.itemId;
      const first = button.dataset.priority === "true";
      button.disabled = true;
      const r = await act(`items/${encodeURIComponent(item)}/priority/${first ? "" : "?priority=false"}`, undefined, {}, first ? "Goes first" : "Priority taken away");
      if (!r.ok) {
        button.disabled = false;
        error.textContent = Socializer.describe(r.body);
        Socializer.toast(Socializer.describe(r.body), true);
      }
    });
  });

  const add = document.getElementById("item-form");
  if (add) {
    const formError = document.getElementById("item-form-error");
    let key = Socializer.key();
    add.addEventListener("input", () => { key = Socializer.key(); }); // another text, another item
    add.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(add);
      const data = new FormData(add);
      const body = { text: String(data.get("text") || ""), priority: data.get("priority") === "on" };
      const link = String(data.get("link_url") || "").trim();
      if (link) body.link_url = link;
      const media = String(data.get("media_urls") || "").split("\n").map((s) => s.trim()).filter(Boolean);
      if (media.length) body.media_urls = media;
      const button = add.querySelector("button[type=submit]");
      button.disabled = true;
      const r = await act("items/", body, { idempotencyKey: key }, "Added");
      if (!r.ok) {
        button.disabled = false;
        showProblem(add, r.body, formError); // a stale If-Match, or an evergreen queue's kind: the form's own line
      }
    });
  }
})();
