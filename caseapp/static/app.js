// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("form.confirm") && !window.confirm(form.dataset.confirm || "Sure?")) {
    event.preventDefault();
  }
});

// The phone menu: without this file the menu button is a link to #site-menu, shown by CSS
// as the :target; here it becomes a toggle that says whether it is open, closes on Escape
// or a click elsewhere, and leaves the address alone.
(() => {
  const toggle = document.querySelector("[data-menu-toggle]");
  const menu = document.getElementById("site-menu");
  if (!toggle || !menu) return;
  toggle.setAttribute("role", "button");
  toggle.setAttribute("aria-expanded", "false");
  const setOpen = (open) => {
    menu.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  const flip = (event) => {
    event.preventDefault();
    const open = !menu.classList.contains("open");
    setOpen(open);
    if (open) { const first = menu.querySelector("a, button"); if (first) first.focus(); }
  };
  toggle.addEventListener("click", flip);
  toggle.addEventListener("keydown", (event) => { if (event.key === " ") flip(event); });
  const close = menu.querySelector("[data-menu-close]");
  if (close) close.addEventListener("click", (event) => { event.preventDefault(); setOpen(false); toggle.focus(); });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.classList.contains("open")) { setOpen(false); toggle.focus(); }
  });
  document.addEventListener("click", (event) => {
    if (menu.classList.contains("open") && !menu.contains(event.target) && !toggle.contains(event.target)) setOpen(false);
  });
})();

// Evidence upload: chosen files wait in a list where each gets its own description,
// source and capture time; "Upload" sends them one request each (own progress bar, the
// CSRF token in a header, ahead of the body). A stored file's row is added to the
// evidence table; a refused one keeps its message on screen until dismissed.
(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  form.classList.add("enhanced");
  const input = document.getElementById("ev-file");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const button = document.getElementById("upload-button");
  const template = document.getElementById("upload-row");
  const table = document.getElementById("evidence-table");
  const token = form.querySelector("input[name=csrf_token]").value;
  const maxBytes = Number(form.dataset.maxBytes);
  const queue = [];
  let sending = false;
  let counter = 0;

  const sizeText = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
  const waiting = () => list.querySelectorAll("li.waiting").length;
  const refreshButton = () => { button.hidden = waiting() === 0 || sending; };

  function fail(row, message) {
    row.classList.remove("waiting", "sending");
    row.classList.add("failed");
    row.dataset.keep = "";  // a message the user has not read yet: no reload wipes it
    row.querySelector(".upload-status").textContent = message;
    row.querySelector(".upload-fields").hidden = true;
  }

  function add(file) {
    counter += 1;
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelector(".upload-name").textContent = `${file.name} (${sizeText(file.size)})`;
    for (const field of row.querySelectorAll("[data-field]")) {
      field.id = `upload-${counter}-${field.dataset.field}`;
      row.querySelector(`label[data-for="${field.dataset.field}"]`).htmlFor = field.id;
    }
    row.querySelector(".dismiss").addEventListener("click", () => {
      const at = queue.findIndex((entry) => entry.row === row);
      if (at >= 0) queue.splice(at, 1);
      if (!row.classList.contains("sending")) row.remove();
      refreshButton();
    });
    list.append(row);
    if (file.size > maxBytes) {
      fail(row, form.dataset.tooLarge);
      return;
    }
    row.classList.add("waiting");
    row.dataset.keep = "";  // details being typed
    queue.push({ file, row });
  }

  function send(entry) {
    const { file, row } = entry;
    row.classList.remove("waiting");
    row.classList.add("sending");
    const bar = row.querySelector("progress");
    const status = row.querySelector(".upload-status");
    bar.hidden = false;
    const body = new FormData();
    for (const field of row.querySelectorAll("[data-field]")) {
      field.disabled = true;
      if (field.value) body.append(field.dataset.field, field.value);
    }
    body.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; });
    xhr.addEventListener("load", () => {
      let reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (err) { reply = {}; }
      bar.hidden = true;
      if (xhr.status === 201) {
        row.classList.remove("sending");
        row.classList.add("done");
        delete row.dataset.keep;
        row.querySelector(".upload-fields").hidden = true;
        const item = reply.items[0];
        status.textContent = `${form.dataset.done} · SHA-256 ${item.sha256.slice(0, 16)}…`;
        table.querySelector("tbody").insertAdjacentHTML("beforeend", reply.rows);
        table.hidden = false;
        watchReading(form.dataset.reading);
      } else {
        fail(row, form.dataset.failed.replace("{reason}", (reply.error && reply.error.message) || xhr.status));
      }
      next();
    });
    xhr.addEventListener("error", () => { bar.hidden = true; fail(row, form.dataset.network); next(); });
    xhr.send(body);
  }

  // One upload at a time: each gets the whole connection, and the case's evidence
  // numbers follow the order the files were chosen in.
  function next() {
    const entry = queue.shift();
    sending = Boolean(entry);
    if (entry) send(entry);
    refreshButton();
  }

  function choose(files) {
    for (const file of files) add(file);
    refreshButton();
  }

  input.addEventListener("change", () => { choose(input.files); input.value = ""; });
  form.addEventListener("submit", (e) => { e.preventDefault(); if (!sending) next(); });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("over"); });
  }
  zone.addEventListener("drop", (e) => choose(e.dataTransfer.files));
})();

// Dossiers being built, evidence being read: poll their state and reload once done;
// never while the page holds something not yet read or sent ([data-keep]): an upload's
// error, a file's details being typed. Then it waits until that is dismissed.
function watchReading(url) {
  if (watchReading.urls.has(url)) return;
  watchReading.urls.add(url);
  const check = async () => {
    try {
      const reply = await fetch(url, { headers: { Accept: "application/json" } });
      const state = await reply.json();
      const done = state.done || state.status === "ready" || state.status === "failed";
      if (done && !document.querySelector("[data-keep]")) { window.location.reload(); return; }
    } catch (err) { /* try again on the next tick */ }
    setTimeout(check, 1500);
  };
  setTimeout(check, 1500);
}
watchReading.urls = new Set();
for (const item of document.querySelectorAll("[data-poll]")) watchReading(item.dataset.poll);

// Sharing (issue 14): the share form's "select all / none", and the one-time link page's
// copy button, which falls back to selecting the link for the visitor to copy.
(() => {
  const tools = document.querySelector("[data-picker-tools]");
  if (tools) {
    const boxes = tools.closest("fieldset").querySelectorAll("input[type=checkbox]");
    tools.hidden = false;
    tools.addEventListener("click", (event) => {
      const button = event.target.closest("[data-pick]");
      if (!button) return;
      for (const box of boxes) box.checked = button.dataset.pick === "all";
    });
  }

  const copy = document.querySelector("[data-copy]");
  if (!copy) return;
  const text = document.getElementById(copy.dataset.copy);
  const status = copy.parentElement.querySelector("[data-copy-status]");
  const select = () => {
    const range = document.createRange();
    range.selectNodeContents(text);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    status.textContent = copy.dataset.select;
  };
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    if (!navigator.clipboard || !window.isSecureContext) { select(); return; }
    try {
      await navigator.clipboard.writeText(text.textContent.trim());
      status.textContent = copy.dataset.copied;
    } catch (err) {
      select(); // the browser refused the clipboard: the visitor copies it themselves
    }
  });
})();
