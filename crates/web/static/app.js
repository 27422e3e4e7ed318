// Progressive enhancement only: every page works without this file.

// Each form that changes something carries a key of its own (field idempotency_key): a second
// submission of the same filled-in form — a double click, a resend after a timeout — gets the
// first one's answer instead of doing the work twice. getRandomValues, unlike randomUUID, also
// works on pages served over plain http on a local network.
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function keyForms(root) {
  for (const form of root.querySelectorAll("form")) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") continue;
    if (form.querySelector("input[name=idempotency_key]")) continue;
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "idempotency_key";
    field.value = newKey();
    form.appendChild(field);
  }
}

document.addEventListener("DOMContentLoaded", () => keyForms(document));

// Forms marked data-confirm ask before submitting; a submitted form's buttons are disabled until
// the answer arrives (the key above covers what gets through anyway).
document.addEventListener("submit", (e) => {
  const form = e.target;
  const msg = form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
    return;
  }
  // After the submission has been built (so that the pressed button's name is sent): a form the
  // browser sends has its buttons disabled; a form a page script sends itself (it prevented the
  // default) stays usable and gets a new key, since its next submission is a new request.
  setTimeout(() => {
    if (e.defaultPrevented) {
      const field = form.querySelector("input[name=idempotency_key]");
      if (field) field.value = newKey();
      return;
    }
    for (const b of form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")) b.disabled = true;
  }, 0);
});

// Coming back to a page from the history cache re-enables its buttons and gives its forms new
// keys: what is submitted from there on is a new request.
window.addEventListener("pageshow", (e) => {
  if (!e.persisted) return;
  for (const b of document.querySelectorAll("form button, form input[type=submit]")) b.disabled = false;
  for (const f of document.querySelectorAll("input[name=idempotency_key]")) f.value = newKey();
});

// The menu on a phone: folded behind the "Danh mục" button so that it does not fill the screen.
// Without this script the button stays hidden and the menu shows unfolded (app.css).
function foldMenu() {
  const toggle = document.querySelector(".menu-toggle");
  const menu = document.getElementById("menu");
  if (!toggle || !menu) return;
  document.documentElement.classList.add("menu-folds");
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && menu.classList.contains("open")) {
      menu.classList.remove("open");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
}

document.addEventListener("DOMContentLoaded", foldMenu);

// Tables on a phone: a table with many columns, or one wider than its box, is shown as one card
// per row (app.css, table.cards), each cell labelled with its column heading, so that nothing is
// squeezed into slivers or pushed off the screen. Rows that a page script adds later (the police
// live feed) are labelled too.
const narrow = window.matchMedia("(max-width: 640px)");

function labelCells(table) {
  const heads = Array.from(table.querySelectorAll(":scope > thead > tr:last-child > th"), (th) => th.textContent.trim());
  if (heads.length === 0) return 0;
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      let column = 0;
      for (const cell of row.cells) {
        if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[column] || "");
        column += cell.colSpan || 1;
      }
    }
  }
  return heads.length;
}

function fitTables() {
  for (const table of document.querySelectorAll("main table")) {
    const columns = labelCells(table);
    if (columns === 0) continue;
    table.classList.remove("cards");
    const box = table.parentElement;
    if ((narrow.matches && columns >= 4) || table.offsetWidth > box.clientWidth + 1) table.classList.add("cards");
  }
}

let fitting = false;
function fitSoon() {
  if (fitting) return;
  fitting = true;
  requestAnimationFrame(() => {
    fitting = false;
    fitTables();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  fitTables();
  const main = document.querySelector("main");
  if (main) new MutationObserver(fitSoon).observe(main, { childList: true, subtree: true });
});
window.addEventListener("resize", fitSoon);

// Commune pickers ([data-commune-picker]): the province list narrows the suggestions of the
// commune field, and typing (with or without diacritics) asks the registry's administrative units
// for matching communes. The field sends "Xã A (12345)"; the server reads the code in brackets,
// or a full name typed without the script.
function communePicker(picker) {
  const province = picker.querySelector("[data-province]");
  const field = picker.querySelector("[data-commune]");
  const list = field && document.getElementById(field.getAttribute("list"));
  if (!province || !field || !list) return;
  let asked = 0;
  const show = (communes) => {
    list.replaceChildren(...communes.map((c) => {
      const o = document.createElement("option");
      o.value = `${c.name} (${c.code})`;
      return o;
    }));
  };
  const ask = async (url) => {
    const mine = ++asked;
    try {
      const r = await fetch(url, { headers: { accept: "application/json" } });
      if (r.ok && mine === asked) show(await r.json());
    } catch (_) {
      // Offline: the field still takes a full name or a code.
    }
  };
  province.addEventListener("change", () => {
    field.value = "";
    if (province.value) ask(`/api/v1/admin-units/provinces/${encodeURIComponent(province.value)}/communes`);
    else show([]);
  });
  let timer = 0;
  field.addEventListener("input", () => {
    clearTimeout(timer);
    const q = field.value.trim();
    if (q.length < 2 || /\(\d{5}\)$/.test(q)) return;
    const where = province.value ? `&province=${encodeURIComponent(province.value)}` : "";
    timer = setTimeout(() => ask(`/api/v1/admin-units/communes?q=${encodeURIComponent(q)}${where}`), 200);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const p of document.querySelectorAll("[data-commune-picker]")) communePicker(p);
});
