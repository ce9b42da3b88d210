// Progressive enhancement of the verify form: drag and drop, in-page results, job polling.
// Without JavaScript the form posts normally and the server renders the same result.
(function () {
  "use strict";
  const form = document.getElementById("verify-form");
  if (!form) return;
  const input = document.getElementById("file");
  const drop = document.getElementById("drop");
  const chosen = document.getElementById("chosen");
  const result = document.getElementById("result");
  const progress = document.getElementById("progress");
  const bar = document.getElementById("progress-bar");
  const label = document.getElementById("progress-label");
  const choose = document.getElementById("choose");

  function showChosen() {
    chosen.textContent = input.files.length ? "Chosen: " + input.files[0].name : "No file chosen.";
  }
  input.addEventListener("change", showChosen);
  // The label is what people see and tab to: Enter or Space on it opens the file dialog.
  choose.tabIndex = 0;
  choose.setAttribute("role", "button");
  choose.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
  });
  input.tabIndex = -1;  // one tab stop for choosing a file: the visible button

  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      showChosen();
    }
  });

  function busy(on, text, value) {
    progress.hidden = !on;
    if (text) label.textContent = text;
    if (value === null) bar.removeAttribute("value"); else if (value !== undefined) bar.value = value;
  }

  async function show(html) {
    result.innerHTML = html;
    result.focus();
    const job = result.querySelector("[data-job-id]");
    if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
      await poll(job.dataset.jobId);
    }
  }

  async function poll(id) {
    busy(true, "Analysing in the background…", 0);
    for (;;) {
      await new Promise(function (r) { setTimeout(r, 1000); });
      const r = await fetch("/api/v1/jobs/" + encodeURIComponent(id), { headers: { Accept: "application/json" } });
      if (!r.ok) break;
      const j = await r.json();
      busy(true, "Analysing: " + j.stage + "…", j.progress);
      if (j.status === "done" || j.status === "failed") break;
    }
    const page = await fetch("/jobs/" + encodeURIComponent(id) + "?fragment=1");
    busy(false);
    result.innerHTML = await page.text();
    result.focus();
  }

  form.addEventListener("submit", async function (e) {
    if (!input.files.length) return;  // let the browser say the field is required
    e.preventDefault();
    busy(true, "Uploading and analysing…", null);
    try {
      const r = await fetch("/verify?fragment=1", { method: "POST", body: new FormData(form) });
      busy(false);
      await show(await r.text());
    } catch (err) {
      busy(false);
      result.textContent = "The upload failed: " + err;
    }
  });
}());
