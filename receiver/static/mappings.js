// The mapping setup page: the raw FQL box is checked live by the receiver (Segment's parser), and
// choosing another action re-renders the fields. No inline script: the page's CSP forbids it.
"use strict";
(function () {
  const raw = document.getElementById("raw_fql");
  const status = document.getElementById("fql-status");
  let timer = null;
  let asked = 0;
  async function check() {
    const query = raw.value;
    const ticket = ++asked;
    try {
      const answer = await fetch("/mappings/check-fql?q=" + encodeURIComponent(query), { credentials: "same-origin" });
      const body = await answer.json();
      if (ticket !== asked) return;
      // The rules Save runs: an error is refused; a warning is saved, but Segment will not do what it says.
      const warnings = body.warnings || [];
      if (!body.ok) {
        status.textContent = "✘ " + body.problems.join("; ");
        status.className = "help error";
      } else if (warnings.length) {
        status.textContent = "⚠ Segment accepts this trigger, but: " + warnings.join("; ");
        status.className = "help warn";
      } else {
        status.textContent = "✔ Segment's parser accepts this trigger.";
        status.className = "help ok";
      }
    } catch (error) {
      status.textContent = "The trigger could not be checked.";
    }
  }
  if (raw && status) {
    raw.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 200);
    });
    if (raw.value) check();
  }
  for (const radio of document.querySelectorAll("input[name=action]")) {
    radio.addEventListener("change", function () {
      document.getElementById("refresh").click();
    });
  }
})();
// The impact panel's "From a file": the file's text goes into the events box (read here, never uploaded alone).
(function () {
  const file = document.getElementById("impact-file");
  const box = document.getElementById("impact_events");
  if (!file || !box) return;
  file.addEventListener("change", async function () {
    if (file.files.length) box.value = await file.files[0].text();
  });
})();
