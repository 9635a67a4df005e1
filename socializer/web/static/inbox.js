// The inbox thread: send a reply through the API's reply route (one Idempotency-Key per text, so a
// second click sends nothing twice), then follow its delivery until it is sent or failed.
"use strict";
(() => {
  const form = document.getElementById("reply-form");
  if (!form) return;
  const itemId = form.dataset.itemId;
  const text = document.getElementById("reply-text");
  const action = document.getElementById("reply-action");
  const error = document.getElementById("reply-error");
  const result = document.getElementById("reply-result");
  const keys = new Map(); // action + text -> its Idempotency-Key

  function show(reply) {
    result.replaceChildren();
    const p = document.createElement("p");
    p.className = "reply-status";
    p.dataset.status = reply.status;
    const badge = document.createElement("span");
    badge.className = `badge ${reply.status}`;
    badge.textContent = reply.status;
    p.append(badge, " ");
    if (reply.status === "queued") p.append(reply.go_at ? `goes at ${new Date(reply.go_at).toLocaleString()}` : "on its way");
    else if (reply.status === "sent") p.append(`sent · platform id ${reply.platform_reply_id || ""}`);
    else p.append(`failed: ${reply.reason || reply.code || ""}`);
    result.append(p);
  }

  async function follow(replyId) {
    for (let i = 0; i < 120; i++) {
      const r = await Socializer.api("GET", `/api/v1/social/inbox/${encodeURIComponent(itemId)}/`);
      const mine = r.ok && (r.body.replies || []).find((x) => x.reply_id === replyId);
      if (mine) {
        show(mine);
        if (mine.status !== "queued") return;
      }
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }

  async function send(path, body, label) {
    error.textContent = "";
    const id = `${path}\u0000${body ? body.text : ""}`;
    if (!keys.has(id)) keys.set(id, Socializer.key());
    const r = await Socializer.api("POST", `/api/v1/social/inbox/${encodeURIComponent(itemId)}/${path}/`, body, { idempotencyKey: keys.get(id) });
    if (!r.ok) {
      if (r.body && r.body.field === "text") error.textContent = Socializer.describe(r.body);
      Socializer.toast(Socializer.describe(r.body), true);
      return;
    }
    Socializer.toast(`${label}: ${r.body.status}`);
    show(r.body);
    follow(r.body.reply_id);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = text.value.trim();
    if (!value) { error.textContent = "text: write the answer first"; text.focus(); return; }
    send(action.value, { text: value }, "Reply");
  });
  const hide = document.getElementById("hide-button");
  if (hide) hide.addEventListener("click", () => send("hide", undefined, "Hide"));
})();
