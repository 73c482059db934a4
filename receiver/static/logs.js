// The log pages' behaviour (inbound and outbound): expanding rows, auto-refresh, and tidy filter URLs.
// Event data is attacker-controlled: every value goes into the DOM through textContent
// or a DOM property, never through HTML parsing.
"use strict";

(() => {
  const table = document.getElementById("log");
  const rows = document.getElementById("log-rows");
  const form = document.getElementById("filters");
  if (!table || !rows || !form) return;

  const interval = Number(table.dataset.refreshMs) || 5000;
  const expanded = new Set();
  const toggleButton = document.getElementById("refresh-toggle");
  const refreshButton = document.getElementById("refresh-now");
  const updated = document.getElementById("updated");
  let timer = null;
  let inFlight = false;

  function setOpen(entry, open) {
    const detail = entry.nextElementSibling;
    if (!detail || !detail.classList.contains("detail")) return;
    detail.hidden = !open;
    entry.classList.toggle("open", open);
    entry.setAttribute("aria-expanded", String(open));
    if (open) expanded.add(entry.dataset.seq);
    else expanded.delete(entry.dataset.seq);
  }

  rows.addEventListener("click", (event) => {
    if (event.target.closest("a")) return;
    const entry = event.target.closest("tr.entry");
    if (entry) setOpen(entry, entry.getAttribute("aria-expanded") !== "true");
  });

  rows.addEventListener("keydown", (event) => {
    const entry = event.target;
    if ((event.key !== "Enter" && event.key !== " ") || !entry.matches("tr.entry")) return;
    event.preventDefault();
    setOpen(entry, entry.getAttribute("aria-expanded") !== "true");
  });

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function bodySection(title, json, kind) {
    const section = element("section");
    section.append(element("h2", null, title), element("pre", "json " + kind, json));
    return section;
  }

  function entryRow(row, open) {
    const tr = element("tr", open ? "entry open" : "entry");
    tr.dataset.seq = String(row.seq);
    tr.tabIndex = 0;
    tr.setAttribute("aria-expanded", String(open));

    const when = element("time", null, row.timestamp);
    when.dateTime = row.timestamp_iso;
    const timeCell = element("td", "time");
    timeCell.append(when);

    const customerCell = element("td", "customer");
    if (row.customer_url) {
      const link = element("a", null, row.customer_id);
      link.href = row.customer_url;
      customerCell.append(link);
      if (row.internal_customer_id) {
        const internal = element("span", "internal-id muted", row.internal_customer_id);
        internal.title = "Antavo customer ID";
        customerCell.append(" ", internal);
      }
    } else {
      customerCell.append(element("span", "muted", "—"));
    }

    const statusCell = element("td", "center");
    statusCell.append(element("span", "status " + row.status_class, row.status));

    const errorCell = element("td", "error-cell");
    if (row.error) errorCell.append(element("span", "error-code", row.error_code || ""), " " + row.error);

    tr.append(
      timeCell,
      customerCell,
      element("td", null, row.event_type || "—"),
      statusCell,
      element("td", "num mono", row.response_time),
      errorCell,
      element("td", "mono ident", row.id),
    );
    return tr;
  }

  function detailRow(row, open) {
    const tr = element("tr", "detail");
    tr.dataset.seq = String(row.seq);
    tr.hidden = !open;
    const cell = element("td");
    cell.colSpan = 7;
    const bodies = element("div", "bodies");
    bodies.append(bodySection("Request", row.request, "request"), bodySection("Response", row.response, "response"));
    if (row.plan) bodies.append(bodySection("Tracking plan", row.plan, "plan"));
    cell.append(bodies);
    tr.append(cell);
    return tr;
  }

  function render(data) {
    const focused = document.activeElement && document.activeElement.matches("tr.entry")
      ? document.activeElement.dataset.seq : null;
    const fragment = document.createDocumentFragment();
    for (const row of data.rows) {
      const open = expanded.has(String(row.seq));
      fragment.append(entryRow(row, open), detailRow(row, open));
    }
    if (!data.rows.length) {
      const empty = element("tr", "empty");
      const cell = element("td", null, table.dataset.empty || "No requests match these filters.");
      cell.colSpan = 7;
      empty.append(cell);
      fragment.append(empty);
    }
    rows.replaceChildren(fragment);
    if (focused) {
      const again = rows.querySelector(`tr.entry[data-seq="${CSS.escape(focused)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
    document.getElementById("total").textContent = String(data.total);
    const errors = document.getElementById("error-count");
    errors.textContent = String(data.errors);
    errors.dataset.count = String(data.errors);
    for (const [id, url] of [["newest", data.newest_url], ["older", data.older_url]]) {
      const link = document.getElementById(id);
      link.hidden = !url;
      link.setAttribute("href", url || "");
    }
  }

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    try {
      const response = await fetch(form.getAttribute("action") + "/data" + location.search, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 401) {
        location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
        return;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
      updated.textContent = "Updated " + new Date().toLocaleTimeString();
    } catch (error) {
      updated.textContent = "Refresh failed; retrying";
    } finally {
      inFlight = false;
    }
  }

  function tick() {
    if (!document.hidden) refresh();
  }

  function setPaused(paused) {
    if (timer !== null) clearInterval(timer);
    timer = paused ? null : setInterval(tick, interval);
    toggleButton.setAttribute("aria-pressed", String(paused));
    toggleButton.textContent = paused ? "Resume auto-refresh" : "Pause auto-refresh";
    updated.textContent = paused ? "Auto-refresh paused" : `Auto-refresh every ${interval / 1000} s`;
  }

  toggleButton.hidden = false;
  toggleButton.addEventListener("click", () => setPaused(timer !== null));
  refreshButton.addEventListener("click", refresh);
  setPaused(false);

  // Only the filters actually set go into the URL, so a shared link reads cleanly.
  form.addEventListener("submit", () => {
    for (const field of form.elements) {
      if (field.name && (field.value === "" || field.value === field.dataset.default)) field.disabled = true;
    }
  });
  window.addEventListener("pageshow", () => {
    for (const field of form.elements) field.disabled = false;
  });
})();
