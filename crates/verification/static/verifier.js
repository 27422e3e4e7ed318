// Verifier page: scanner-gun text input, camera scan (jsQR), chip bundle file, result card.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  if (!form) return;
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  var csrf = form.dataset.csrf;
  var input = document.getElementById("evidence");
  var out = document.getElementById("result");
  var t = function (vi, en) { return lang === "en" ? en : vi; };
  // Words for result codes, rendered by the server in the page's language (labels.rs).
  var words = JSON.parse(document.getElementById("verify-labels").textContent);
  var w = function (group, code) { return (words[group] && words[group][code]) || code; };

  function payload() {
    var base = {
      purpose: form.purpose.value,
      citizen_present: form.citizen_present.checked,
      list_code: form.list_code.value || null,
    };
    var chip = form.chip.value.trim();
    if (chip) {
      var bundle = JSON.parse(chip);
      bundle.purpose = base.purpose; bundle.citizen_present = base.citizen_present; bundle.list_code = base.list_code;
      return ["/api/v1/verifications/chip", bundle];
    }
    var text = input.value.trim();
    if (/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(text)) {
      base.token = text;
      return ["/api/v1/verifications/dynamic", base];
    }
    if (text.indexOf("|") >= 0) { base.qr_payload = text; }
    else { base.personal_id = text; base.full_name = form.full_name.value; base.birth_date = form.birth_date.value; }
    return ["/api/v1/verifications", base];
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(data) {
    out.textContent = "";
    if (data.error) {
      var detail = data.error.detail ? " — " + data.error.detail : "";
      out.appendChild(el("p", "error", (lang === "en" ? data.error.message_en : data.error.message) + detail));
      return;
    }
    var r = data.result;
    var card = el("section", "card verdict verdict-" + r.outcome);
    card.appendChild(el("h2", null, w("outcome", r.outcome)));
    if (r.person_found) {
      // The registry photo is not served yet: a placeholder marks where it will be compared.
      card.appendChild(el("div", "photo-placeholder", t("Ảnh trong CSDL dân cư", "Registry photo")));
    }
    var dl = el("dl");
    function row(k, v) { if (v === null || v === undefined || v === "") return; dl.appendChild(el("dt", null, k)); dl.appendChild(el("dd", null, String(v))); }
    row(t("Mục đích", "Purpose"), w("purpose", r.purpose));
    row(t("Cách xác minh", "Method"), w("method", r.method));
    row(t("Số định danh", "Personal id"), r.personal_id);
    row(t("Họ tên", "Full name"), r.person.full_name);
    row(t("Ngày sinh", "Date of birth"), r.person.birth_date);
    if (r.person.gender) row(t("Giới tính", "Sex"), w("gender", r.person.gender));
    row(t("Địa chỉ", "Address"), r.person.address);
    if (r.age_over_18 !== null) row(t("Đủ 18 tuổi", "Aged 18 or over"), r.age_over_18 ? t("Có", "Yes") : t("Không", "No"));
    if (r.card) row(t("Tình trạng thẻ", "Card status"), w("card", r.card.status) + (r.card.superseded ? t(" (đã có thẻ mới hơn)", " (a newer card exists)") : ""));
    if (r.person_status) row(t("Tình trạng công dân", "Person status"), w("person", r.person_status));
    row(t("Mức xác thực", "Assurance"), w("assurance", r.assurance));
    r.fields.forEach(function (f) { row(w("field", f.field), w("match", f.result)); });
    if (r.list) row(w("list", r.list.kind) + " " + r.list.list_code, r.list.found ? (r.list.label || t("Có tên", "Listed")) : t("Không có tên", "Not listed"));
    if (r.chip) r.chip.steps.forEach(function (s) { row("Chip: " + w("step", s.step), w("step_status", s.status) + " — " + s.detail); });
    card.appendChild(dl);
    var ul = el("ul", "reasons");
    r.reasons.forEach(function (x) { ul.appendChild(el("li", null, lang === "en" ? x.en : x.vi)); });
    card.appendChild(ul);
    out.appendChild(card);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var p;
    try { p = payload(); } catch (e) { show({ error: { message: "JSON", message_en: "JSON", detail: String(e) } }); return; }
    fetch(p[0], { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(p[1]) })
      .then(function (r) { return r.json(); }).then(show)
      .catch(function (e) { show({ error: { message: "Lỗi mạng", message_en: "Network error", detail: String(e) } }); })
      .finally(function () { input.value = ""; form.chip.value = ""; input.focus(); });
  });

  // A scanner gun types the payload and presses Enter: submit at once.
  input.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); form.requestSubmit(); } });

  document.getElementById("chip-file").addEventListener("change", function (ev) {
    var f = ev.target.files[0];
    if (f) f.text().then(function (txt) { form.chip.value = txt; });
  });

  var video = document.getElementById("camera");
  document.getElementById("scan").addEventListener("click", function () {
    if (!navigator.mediaDevices) { show({ error: { message: "Không có camera", message_en: "No camera", detail: "" } }); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; video.play();
      var canvas = document.createElement("canvas"), ctx = canvas.getContext("2d");
      (function tick() {
        if (video.readyState === video.HAVE_ENOUGH_DATA) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          ctx.drawImage(video, 0, 0);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var code = window.jsQR(img.data, img.width, img.height);
          if (code && code.data) {
            stream.getTracks().forEach(function (tr) { tr.stop(); });
            video.hidden = true; input.value = code.data; form.requestSubmit(); return;
          }
        }
        requestAnimationFrame(tick);
      })();
    });
  });
})();

// Citizen page: refresh the identity QR before it expires.
(function () {
  "use strict";
  var box = document.getElementById("idqr");
  if (!box) return;
  var form = document.getElementById("idqr-share");
  function load() {
    var q = ["name", "birth_date", "age_over_18"].filter(function (k) { return form[k].checked; })
      .map(function (k) { return k + "=true"; }).join("&");
    fetch("/api/v1/me/identity-qr?" + q, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.svg) { box.innerHTML = d.svg; document.getElementById("idqr-token").value = d.token; }
      });
  }
  form.addEventListener("change", load);
  load();
  setInterval(load, 60000);
})();
