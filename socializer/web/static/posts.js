// Posts and the calendar: every change is the API's own command (schedule, approve, reject, edit)
// sent with the post's version as If-Match. Times are read and written in the site's time zone.
"use strict";
(() => {
  const S = Socializer;
  const tz = document.querySelector('meta[name="site-timezone"]')?.content || "UTC";
  const POSTS = "/api/v1/social/posts/";

  /** The UTC offset (ms) of `tz` at the instant `ms`. */
  function offsetAt(ms, zone) {
    const parts = {};
    for (const p of new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(ms))) parts[p.type] = p.value;
    return Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second) - ms;
  }

  /** A wall-clock date ("2026-12-07") and time ("09:30") in the site's zone, as an RFC 3339 instant. */
  function zonedToUtc(date, time, zone = tz) {
    const [y, m, d] = date.split("-").map(Number);
    const [hh, mm] = time.split(":").map(Number);
    const wall = Date.UTC(y, m - 1, d, hh, mm);
    let ms = wall - offsetAt(wall, zone);
    ms = wall - offsetAt(ms, zone);
    return new Date(ms).toISOString();
  }

  /** An instant as the site's wall clock, for a datetime-local field ("2026-12-07T09:30"). */
  function utcToLocalField(iso) {
    const ms = Date.parse(iso);
    return new Date(ms + offsetAt(ms, tz)).toISOString().slice(0, 16);
  }

  function localLabel(iso) {
    return new Intl.DateTimeFormat("en-GB", { timeZone: tz, dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  }

  const reload = () => setTimeout(() => window.location.reload(), 600);

  // ---------- schedule (calendar drop, Move, post page) and the 409 it may answer ----------
  let pending = null; // the last refused move, for "next free slot" and "place it anyway"

  async function schedule(postId, version, at, { override = false } = {}) {
    const body = at ? { scheduled_at: at, override } : undefined;
    const r = await S.api("POST", `${POSTS}${encodeURIComponent(postId)}/schedule/?wait=true`, body, { ifMatch: version });
    if (r.ok) {
      S.toast(at ? `Moved to ${localLabel(at)}.` : "Queued for its next best-time slot.");
      reload();
      return r;
    }
    if (r.status === 409 && r.body && r.body.conflict) showConflict(postId, version, at, r.body);
    else S.toast(S.describe(r.body), true);
    return r;
  }

  function showConflict(postId, version, at, problem) {
    const box = document.getElementById("conflict");
    const c = problem.conflict;
    pending = { postId, version, at, free: c.next_free_slot };
    if (!box) { S.toast(S.describe(problem), true); return; }
    const when = c.at ? ` at ${localLabel(c.at)}` : "";
    const free = c.next_free_slot ? `The next free slot is ${localLabel(c.next_free_slot)}.` : "There is no free slot within the horizon.";
    document.getElementById("conflict-text").textContent =
      `${localLabel(at)} conflicts with post ${c.post_id}${when}: ${c.reason}. ${free}`;
    const link = document.getElementById("conflict-post");
    link.href = `/socializer/posts/${encodeURIComponent(c.post_id)}`;
    link.textContent = `See post ${c.post_id}`;
    const freeButton = document.getElementById("conflict-free");
    freeButton.hidden = !c.next_free_slot;
    freeButton.dataset.at = c.next_free_slot || "";
    box.hidden = false;
    box.dataset.post = postId;
    box.focus?.();
  }

  function wireConflict() {
    const box = document.getElementById("conflict");
    if (!box) return;
    box.tabIndex = -1;
    document.getElementById("conflict-free").addEventListener("click", () => pending && schedule(pending.postId, pending.version, pending.free));
    document.getElementById("conflict-override").addEventListener("click", () => pending && schedule(pending.postId, pending.version, pending.at, { override: true }));
    document.getElementById("conflict-close").addEventListener("click", () => { box.hidden = true; });
  }

  // ---------- the calendar: drag a post to a day or an hour, or Move it by keyboard ----------
  function wireCalendar() {
    const cal = document.querySelector(".cal");
    if (!cal) return;
    let dragged = null;
    document.addEventListener("dragstart", (e) => {
      const chip = e.target.closest && e.target.closest(".chip[draggable=true]");
      if (!chip) return;
      dragged = chip;
      e.dataTransfer.setData("text/plain", chip.dataset.post);
      e.dataTransfer.effectAllowed = "move";
    });
    document.addEventListener("dragend", () => { dragged = null; });
    const target = (e) => e.target.closest && e.target.closest("td.slot");
    cal.addEventListener("dragover", (e) => {
      const cell = target(e);
      if (!cell) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      cell.classList.add("over");
    });
    cal.addEventListener("dragleave", (e) => { const cell = target(e); if (cell) cell.classList.remove("over"); });
    cal.addEventListener("drop", (e) => {
      const cell = target(e);
      if (!cell) return;
      e.preventDefault();
      cell.classList.remove("over");
      const id = e.dataTransfer.getData("text/plain") || dragged?.dataset.post;
      const chip = dragged && dragged.dataset.post === id ? dragged : document.querySelector(`.chip[data-post="${CSS.escape(id)}"]`);
      if (!chip) return;
      const minutes = (chip.dataset.time || "09:00").split(":")[1];
      const time = cell.dataset.hour !== undefined ? `${String(cell.dataset.hour).padStart(2, "0")}:${minutes}` : chip.dataset.time || "09:00";
      if (cell.dataset.date === chip.dataset.date && time === chip.dataset.time) return; // dropped where it was
      schedule(chip.dataset.post, chip.dataset.version, zonedToUtc(cell.dataset.date, time));
    });

    const dialog = document.getElementById("mover");
    const field = document.getElementById("mover-at");
    let moving = null;
    document.addEventListener("click", (e) => {
      const button = e.target.closest && e.target.closest(".chip .move");
      if (!button) return;
      moving = button.closest(".chip");
      document.getElementById("mover-what").textContent = moving.querySelector("a").textContent;
      field.value = `${moving.dataset.date || new Date().toISOString().slice(0, 10)}T${moving.dataset.time || "09:00"}`;
      dialog.showModal();
      field.focus();
    });
    document.getElementById("mover-cancel").addEventListener("click", () => dialog.close());
    document.getElementById("mover-form").addEventListener("submit", (e) => {
      e.preventDefault();
      if (!moving || !field.value) return;
      const [date, time] = field.value.split("T");
      dialog.close();
      schedule(moving.dataset.post, moving.dataset.version, zonedToUtc(date, time));
    });
  }

  // ---------- the posts list: select, then approve, reject or schedule in bulk ----------
  function wireBulk() {
    const bar = document.getElementById("bulk");
    if (!bar) return;
    const boxes = () => [...document.querySelectorAll("input.pick")];
    const chosen = () => boxes().filter((b) => b.checked);
    const count = document.getElementById("bulk-count");
    const update = () => {
      const n = chosen().length;
      count.textContent = `${n} selected`;
      for (const b of bar.querySelectorAll("button")) b.disabled = n === 0;
    };
    document.getElementById("pick-all")?.addEventListener("change", (e) => { for (const b of boxes()) b.checked = e.target.checked; update(); });
    document.addEventListener("change", (e) => { if (e.target.classList?.contains("pick")) update(); });
    update();
    const report = (results) => {
      const ok = results.filter((r) => r.ok).length;
      const failed = results.filter((r) => !r.ok);
      const out = document.getElementById("bulk-result");
      out.textContent = `${ok} done` + (failed.length ? `, ${failed.length} refused: ${failed.map((r) => `${r.id}: ${S.describe(r.problem)}`).join("; ")}` : ".");
      if (!failed.length) reload();
    };
    const each = (action, body) => Promise.all(chosen().map(async (b) => {
      const r = await S.api("POST", `${POSTS}${encodeURIComponent(b.value)}/${action}/?wait=true`, body, { ifMatch: b.dataset.version });
      return { id: b.value, ok: r.ok, problem: r.body };
    }));
    document.getElementById("bulk-approve").addEventListener("click", async () => report(await each("approve")));
    document.getElementById("bulk-reject").addEventListener("click", async () => {
      const reason = document.getElementById("bulk-reason").value;
      report(await each("reject", reason ? { reason } : undefined));
    });
    document.getElementById("bulk-schedule").addEventListener("click", async () => {
      const ids = chosen().map((b) => b.value);
      const r = await S.api("POST", `${POSTS}bulk-schedule/?wait=true`, { post_ids: ids, auto_space: true });
      if (!r.ok) { report([{ id: "all", ok: false, problem: r.body }]); return; }
      report(r.body.results.map((x) => ({ id: x.post_id, ok: x.outcome !== "refused", problem: x.problem })));
    });
  }

  // ---------- one post: edit (the validator's 422 at its field), review, schedule, previews ----------
  function fieldOf(problem) {
    const name = String(problem.field || "").split(".")[0];
    return document.querySelector(`#edit [name="${CSS.escape(name)}"]`) || document.querySelector("#edit textarea");
  }

  function clearErrors(form) {
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of form.querySelectorAll(".field-error")) { el.textContent = ""; el.hidden = true; }
  }

  function wirePost() {
    const post = document.getElementById("post");
    if (!post) return;
    const id = post.dataset.post;
    const version = () => post.dataset.version;
    const form = document.getElementById("edit");
    form?.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const data = new FormData(form);
      const body = {};
      if (data.has("thread")) body.thread = String(data.get("thread")).split(/\n-{3,}\n/).map((s) => s.trim()).filter(Boolean);
      else body.text = String(data.get("text"));
      const tags = form.elements.hashtags;
      if (tags.value !== tags.defaultValue) body.hashtags = tags.value.split(/[\s,]+/).map((s) => s.replace(/^#/, "")).filter(Boolean);
      const link = form.elements.link_url;
      if (link.value.trim() && link.value !== link.defaultValue) body.link_url = link.value.trim();
      const r = await S.api("PUT", `${POSTS}${encodeURIComponent(id)}/?wait=true`, body, { ifMatch: version() });
      if (r.ok) { S.toast("Saved."); reload(); return; }
      if (r.status === 422 && r.body) {
        const input = fieldOf(r.body);
        const msg = document.getElementById(`err-${input.name}`);
        input.setAttribute("aria-invalid", "true");
        msg.textContent = r.body.detail || S.describe(r.body);
        msg.hidden = false;
        input.focus();
      }
      S.toast(S.describe(r.body), true);
    });
    const act = async (action, body) => {
      const r = await S.api("POST", `${POSTS}${encodeURIComponent(id)}/${action}/?wait=true`, body, { ifMatch: version() });
      if (r.ok) { S.toast(`${action[0].toUpperCase()}${action.slice(1)}d.`); reload(); }
      else if (r.status === 409 && r.body && r.body.conflict) showConflict(id, version(), body && body.scheduled_at, r.body);
      else S.toast(S.describe(r.body), true);
    };
    const when = () => {
      const choice = document.getElementById("when")?.value || "slot";
      if (choice === "now") return { scheduled_at: new Date().toISOString() };
      if (choice === "at") {
        const v = document.getElementById("at").value;
        if (!v) return null;
        const [date, time] = v.split("T");
        return { scheduled_at: zonedToUtc(date, time) };
      }
      return undefined;
    };
    document.getElementById("approve")?.addEventListener("click", () => {
      const body = when();
      if (body === null) { S.toast("Choose a time first.", true); document.getElementById("at").focus(); return; }
      act("approve", body);
    });
    document.getElementById("reject")?.addEventListener("click", () => {
      const reason = document.getElementById("reason").value;
      act("reject", reason ? { reason } : undefined);
    });
    document.getElementById("schedule")?.addEventListener("click", () => {
      const body = when();
      if (body === null) { S.toast("Choose a time first.", true); document.getElementById("at").focus(); return; }
      if (body) schedule(id, version(), body.scheduled_at);
      else schedule(id, version(), null);
    });
    const whenSelect = document.getElementById("when");
    const atWrap = document.getElementById("at-wrap");
    const sync = () => { if (atWrap) atWrap.hidden = whenSelect.value !== "at"; };
    whenSelect?.addEventListener("change", sync);
    if (whenSelect) sync();
    const at = document.getElementById("at");
    if (at && at.dataset.at) at.value = utcToLocalField(at.dataset.at);
    // LinkedIn's fold and Instagram's crop, as the platforms show them.
    for (const more of document.querySelectorAll(".seemore")) {
      more.addEventListener("click", () => {
        const rest = document.getElementById(more.getAttribute("aria-controls"));
        const open = more.getAttribute("aria-expanded") === "true";
        rest.hidden = open;
        more.setAttribute("aria-expanded", String(!open));
        more.textContent = open ? "…see more" : "see less";
      });
    }
    for (const b of document.querySelectorAll("[data-crop]")) {
      b.addEventListener("click", () => {
        const frame = document.getElementById("ig-frame");
        frame.classList.remove("square", "portrait");
        frame.classList.add(b.dataset.crop);
        for (const o of document.querySelectorAll("[data-crop]")) o.setAttribute("aria-pressed", String(o === b));
      });
    }
  }

  wireConflict();
  wireCalendar();
  wireBulk();
  wirePost();
  window.SocializerPosts = { zonedToUtc, schedule };
})();
