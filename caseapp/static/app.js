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

// Evidence upload: each file is sent on its own request so it gets its own progress bar;
// the CSRF token travels in a header, ahead of the body.
(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  form.classList.add("enhanced");
  const input = document.getElementById("ev-file");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const token = form.querySelector("input[name=csrf_token]").value;
  const maxBytes = Number(form.dataset.maxBytes);
  let pending = 0;

  const sizeText = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;

  function send(file) {
    const row = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${file.name} (${sizeText(file.size)})`;
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    const status = document.createElement("span");
    status.className = "muted";
    row.append(name, bar, status);
    list.append(row);
    if (file.size > maxBytes) {
      status.textContent = form.dataset.tooLarge;
      row.classList.add("failed");
      finish();
      return;
    }
    const body = new FormData();
    for (const field of ["description", "source", "captured_at"]) {
      const value = form.elements[field].value;
      if (value) body.append(field, value);
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
      if (xhr.status === 201) {
        bar.value = 100;
        const item = reply.items[0];
        status.textContent = `${form.dataset.done} · SHA-256 ${item.sha256.slice(0, 16)}…`;
        row.classList.add("done");
      } else {
        status.textContent = `${form.dataset.failed}: ${(reply.error && reply.error.message) || xhr.status}`;
        row.classList.add("failed");
      }
      finish();
    });
    xhr.addEventListener("error", () => { status.textContent = form.dataset.failed; row.classList.add("failed"); finish(); });
    xhr.send(body);
  }

  // One upload at a time: each gets the whole connection, and the case's evidence
  // numbers follow the order the files were chosen in.
  function finish() {
    pending -= 1;
    if (queue.length) {
      send(queue.shift());
    } else if (pending === 0 && list.querySelector(".done")) {
      setTimeout(() => window.location.reload(), 800);
    }
  }

  const queue = [];
  function sendAll(files) {
    const idle = pending === 0 && queue.length === 0;
    for (const file of files) { pending += 1; queue.push(file); }
    if (idle) send(queue.shift());
  }

  input.addEventListener("change", () => { sendAll(input.files); input.value = ""; });
  form.addEventListener("submit", (e) => { e.preventDefault(); sendAll(input.files); input.value = ""; });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("over"); });
  }
  zone.addEventListener("drop", (e) => sendAll(e.dataTransfer.files));
})();

// Dossiers being built, evidence being read: poll their state and reload once done.
(() => {
  const pending = document.querySelectorAll("[data-poll]");
  if (!pending.length) return;
  const check = async () => {
    for (const item of pending) {
      try {
        const reply = await fetch(item.dataset.poll, { headers: { Accept: "application/json" } });
        const state = await reply.json();
        if (state.done || state.status === "ready" || state.status === "failed") { window.location.reload(); return; }
      } catch (err) { /* try again on the next tick */ }
    }
    setTimeout(check, 1500);
  };
  setTimeout(check, 1500);
})();
