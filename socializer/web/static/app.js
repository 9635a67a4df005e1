// The dashboard's shared helpers. Actions call the API's own routes with the session cookie, the
// session's CSRF token, If-Match and an Idempotency-Key: the same commands an API client sends.
"use strict";
const Socializer = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  function key() {
    return (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random().toString(16).slice(2);
  }

  /** Call the API; resolves to {ok, status, body, etag}. A problem+json body is returned as is. */
  async function api(method, url, body, { ifMatch, idempotencyKey } = {}) {
    const headers = { Accept: "application/json, application/problem+json" };
    if (method !== "GET") {
      headers["X-CSRF-Token"] = csrf;
      headers["Idempotency-Key"] = idempotencyKey || key();
    }
    if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
    let data = null;
    const text = await resp.text();
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = { detail: text }; }
    return { ok: resp.ok, status: resp.status, body: data, etag: resp.headers.get("ETag") };
  }

  /** Tell the manager what happened, read out by screen readers (role=status). */
  function toast(message, isError = false) {
    const el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.classList.toggle("error", isError);
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, 8000);
  }

  /** A problem+json as one sentence: its field and detail. */
  function describe(problem) {
    if (!problem) return "The request failed.";
    const field = problem.field ? `${problem.field}: ` : "";
    return `${problem.title || "Error"} — ${field}${problem.detail || ""}`.trim();
  }

  return { api, toast, describe, key, csrf };
})();
