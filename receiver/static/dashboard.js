// The dashboard's auto-refresh: every few seconds, swap in the figures and charts the server
// renders at /dashboard/fragment (its SVG charts included), without reloading the page.
// No inline script, no library: the CSP stays strict. The fragment is the server's own
// autoescaped template; it is parsed with DOMParser (whose scripts never run) and moved in.
"use strict";

(() => {
  const body = document.getElementById("dash-body");
  const toggle = document.getElementById("auto-refresh");
  const status = document.getElementById("refresh-status");
  if (!body || !toggle) return;

  const STORAGE_KEY = "antavo.dashboard.autoRefresh";
  const seconds = Math.max(1, Number(body.dataset.refreshSeconds) || 10);
  const url = body.dataset.fragment;
  let timer = null;
  let inFlight = false;

  function say(text) {
    if (status) status.textContent = text;
  }

  async function refresh() {
    if (inFlight || document.hidden) return;
    inFlight = true;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.status === 401) {
        stop();
        toggle.checked = false;
        say("Signed out: reload the page to sign in again.");
        return;
      }
      if (!response.ok) {
        say("Refresh failed (HTTP " + response.status + "); retrying.");
        return;
      }
      const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
      body.replaceChildren(...Array.from(parsed.body.childNodes));
      body.dataset.refreshedAt = String(Date.now());
      say("");
    } catch (error) {
      say("Refresh failed (" + error.message + "); retrying.");
    } finally {
      inFlight = false;
    }
  }

  function start() {
    if (timer === null) timer = window.setInterval(refresh, seconds * 1000);
  }

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  function apply() {
    try {
      window.localStorage.setItem(STORAGE_KEY, toggle.checked ? "on" : "off");
    } catch (error) {
      // Storage can be off (private mode): the toggle still works for this page.
    }
    if (toggle.checked) start();
    else stop();
  }

  try {
    if (window.localStorage.getItem(STORAGE_KEY) === "off") toggle.checked = false;
  } catch (error) {
    // Storage can be off: keep the default (on).
  }
  toggle.addEventListener("change", apply);
  if (toggle.checked) start();
})();
