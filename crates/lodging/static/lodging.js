// Lodging pages: staff check-in (scanner gun, camera, passports, group, offline queue with
// idempotency keys), stay actions, the police page (live feed, alerts, approvals), the watchlist,
// the venue gate, the citizen's declaration of a stay, coach trips (boarding), registration of
// facilities and venues, and the hospital ward (inpatients, caregivers, discharge).
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  var t = function (vi, en) { return lang === "en" ? en : vi; };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function errorText(data, status) {
    if (data && data.error) return (lang === "en" ? data.error.message_en : data.error.message) + " — " + data.error.detail;
    return t("Lỗi ", "Error ") + status;
  }

  // A JSON call with the session's CSRF token; resolves to {ok, status, data}.
  function call(method, url, csrf, body, extra) {
    var headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
    Object.keys(extra || {}).forEach(function (k) { headers[k] = extra[k]; });
    return fetch(url, { method: method, credentials: "same-origin", headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) { return r.json().catch(function () { return null; }).then(function (d) { return { ok: r.ok, status: r.status, data: d }; }); });
  }

  // Times are shown in Vietnam time (dd/mm/yyyy HH:mm) whatever the browser's time zone: a police
  // officer's laptop set to another zone must read the same hour as the records and the exports.
  var VN_TIME = (function () {
    try {
      return new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    } catch (e) { return null; }
  })();
  function time(ms) {
    var d = new Date(ms);
    if (VN_TIME) {
      var part = {};
      VN_TIME.formatToParts(d).forEach(function (x) { part[x.type] = x.value; });
      return part.day + "/" + part.month + "/" + part.year + " " + part.hour + ":" + part.minute;
    }
    // Without time-zone data: Vietnam is UTC+7 all year (no daylight saving).
    var v = new Date(d.getTime() + 7 * 3600 * 1000);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return p(v.getUTCDate()) + "/" + p(v.getUTCMonth() + 1) + "/" + v.getUTCFullYear() + " " + p(v.getUTCHours()) + ":" + p(v.getUTCMinutes());
  }
  // A datetime-local field's value ("2026-03-10T14:30") is a time in Vietnam, not in the browser's zone.
  function vnInput(value) {
    if (!value) return null;
    return new Date(value + (value.length === 16 ? ":00" : "") + "+07:00").toISOString();
  }

  // The claims of a JWS (no verification: only to show who was scanned; the server verifies).
  function claims(token) {
    try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch (e) { return {}; }
  }

  // What a scanner typed, as a guest of the check-in API, with a label for the list.
  function guestOf(text) {
    text = text.trim();
    if (/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(text)) {
      var c = claims(text);
      return { guest: { identity_qr: text }, label: (c.name || "") + " " + t("(mã QR định danh ", "(identity QR ") + (c.pid || "") + ")" };
    }
    if (text.indexOf("|") >= 0) {
      var f = text.split("|");
      return { guest: { card_qr: text }, label: (f[2] || "") + " (" + f[0] + ")" };
    }
    if (/^\d{12}$/.test(text)) {
      // A typed id is only confirmed against the name and birth date on the guest's document.
      var name = (window.prompt(t("Họ tên trên giấy tờ của khách", "Full name on the guest's document")) || "").trim();
      var born = (window.prompt(t("Ngày sinh trên giấy tờ (ngày/tháng/năm)", "Date of birth on the document (day/month/year)")) || "").trim();
      if (!name || !born) return null;
      return { guest: { personal_id: text, full_name: name, birth_date: born }, label: name + " (" + text + t(", đối chiếu CSDL dân cư)", ", checked against the registry)") };
    }
    return null;
  }

  // Camera scanning with the jsQR library served by the verification module.
  function cameraScan(video, onCode) {
    if (!navigator.mediaDevices || !window.jsQR) { alert(t("Không có camera", "No camera")); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; video.play();
      var canvas = document.createElement("canvas"), g = canvas.getContext("2d");
      (function frame() {
        if (video.readyState === video.HAVE_ENOUGH_DATA) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight; g.drawImage(video, 0, 0);
          var found = window.jsQR(g.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
          if (found && found.data) { stream.getTracks().forEach(function (s) { s.stop(); }); video.hidden = true; onCode(found.data); return; }
        }
        requestAnimationFrame(frame);
      })();
    });
  }

  // ---- Staff check-in page -------------------------------------------------------------------
  var form = document.getElementById("checkin-form");
  if (form) {
    var csrf = form.dataset.csrf;
    var QUEUE = "dancu.lodging.queue";
    var pending = [];
    var list = document.getElementById("pending-guests");
    var input = document.getElementById("evidence");
    var out = document.getElementById("checkin-result");
    var status = document.getElementById("queue-status");

    var queue = function () { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } };
    var save = function (q) { localStorage.setItem(QUEUE, JSON.stringify(q)); showQueue(); };
    function showQueue() {
      var n = queue().length;
      status.textContent = n ? t(n + " lượt khai báo đang chờ gửi (sẽ tự gửi khi có mạng)", n + " check-ins waiting to be sent (sent automatically when online)") : "";
    }

    function drawPending() {
      list.textContent = "";
      if (!pending.length) { list.appendChild(el("li", "muted", t("Chưa có khách.", "No guest yet."))); return; }
      pending.forEach(function (p, i) {
        var li = el("li", null, p.label + " ");
        var rm = el("button", "link", t("Bỏ", "Remove"));
        rm.type = "button";
        rm.addEventListener("click", function () { pending.splice(i, 1); drawPending(); });
        li.appendChild(rm); list.appendChild(li);
      });
    }

    function addScan(text) {
      var g = guestOf(text);
      if (!g) { out.textContent = ""; out.appendChild(el("p", "error", t("Không nhận dạng được mã hoặc số định danh", "Not a card QR, identity QR or personal id"))); return; }
      pending.push(g); drawPending();
    }

    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); if (input.value.trim()) addScan(input.value); input.value = ""; input.focus(); }
    });
    document.getElementById("scan").addEventListener("click", function () { cameraScan(document.getElementById("camera"), addScan); });
    document.getElementById("add-passport").addEventListener("click", function () {
      var v = function (n) { return form["pp_" + n].value.trim(); };
      if (!v("number") || !v("nationality") || !v("full_name") || !v("birth_date")) {
        out.textContent = ""; out.appendChild(el("p", "error", t("Cần số hộ chiếu, quốc tịch, họ tên và ngày sinh", "Passport number, nationality, name and date of birth are required"))); return;
      }
      pending.push({ guest: { passport: { number: v("number"), nationality: v("nationality"), full_name: v("full_name"), birth_date: v("birth_date"),
        visa: v("visa") || null, entry_date: v("entry_date") || null, border_gate: v("border_gate") || null } }, label: v("full_name") + " (" + v("nationality").toUpperCase() + " " + v("number") + ")" });
      ["number", "nationality", "full_name", "birth_date", "visa", "entry_date", "border_gate"].forEach(function (n) { form["pp_" + n].value = ""; });
      drawPending();
    });

    function showResult(item, r) {
      var box = el("section", "card");
      if (r.ok) {
        box.appendChild(el("h2", null, t("Đã gửi khai báo — phòng ", "Check-in sent — room ") + r.data.room));
        var ul = el("ul");
        r.data.checkins.forEach(function (c) {
          var li = el("li", null, c.full_name + (c.birth_date ? " · " + c.birth_date : "") + (c.address ? " · " + c.address : "") + " ");
          li.appendChild(el("span", "badge " + (c.late ? "bad" : "ok"), c.late ? t("Trễ hạn", "Late") : t("Đúng hạn", "On time")));
          li.dataset.checkin = c.id; ul.appendChild(li);
        });
        box.appendChild(ul);
      } else {
        box.appendChild(el("p", "error", item.labels.join(", ") + ": " + errorText(r.data, r.status)));
      }
      out.insertBefore(box, out.firstChild);
    }

    // Sends queued check-ins in order; a network failure or a server error keeps the rest for later.
    var flushing = false;
    function flush() {
      if (flushing) return;
      var q = queue();
      if (!q.length) { showQueue(); return; }
      flushing = true;
      var item = q[0];
      var body = JSON.parse(JSON.stringify(item.body));
      if (Date.now() - item.created > 60000) {
        // A dynamic identity QR lives 90 s: after a long wait send the id, name and birth date it
        // carried, to be confirmed like a typed id.
        body.guests = body.guests.map(function (g) {
          if (!g.identity_qr) return g;
          var c = claims(g.identity_qr);
          return { personal_id: c.pid, full_name: c.name, birth_date: c.bd };
        });
      }
      call("POST", "/api/v1/lodging/checkins", csrf, body, { "Idempotency-Key": item.key }).then(function (r) {
        flushing = false;
        if (r.status >= 500 || r.status === 401) { showQueue(); return; }
        save(queue().filter(function (x) { return x.key !== item.key; }));
        showResult(item, r);
        flush();
      }, function () { flushing = false; showQueue(); });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (input.value.trim()) { addScan(input.value); input.value = ""; }
      if (!pending.length) { out.textContent = ""; out.appendChild(el("p", "error", t("Chưa có khách nào", "No guest added"))); return; }
      var dep = vnInput(form.departure.value);
      var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
      var q = queue();
      q.push({ key: key, created: Date.now(), labels: pending.map(function (p) { return p.label; }),
        body: { facility_id: form.facility_id.value, room: form.room.value, reason: form.reason.value, expected_departure_at: dep,
          arrival_at: new Date().toISOString(), guests: pending.map(function (p) { return p.guest; }) } });
      save(q);
      pending = []; drawPending(); form.room.value = ""; input.focus();
      flush();
    });
    window.addEventListener("online", flush);
    setInterval(flush, 10000);
    document.getElementById("facility").addEventListener("change", function (ev) { location.href = "/lodging?facility=" + encodeURIComponent(ev.target.value); });
    drawPending(); flush();

    var guests = document.getElementById("guests");
    if (guests) guests.addEventListener("click", function (ev) {
      var action = ev.target.dataset.action;
      if (!action) return;
      var row = ev.target.closest("tr"), id = row.dataset.stay;
      var field = function (n) { return row.querySelector("[data-field=" + n + "]").value; };
      var req;
      if (action === "checkout") req = call("POST", "/api/v1/lodging/checkins/" + id + "/checkout", csrf, {});
      if (action === "room") req = call("PATCH", "/api/v1/lodging/checkins/" + id, csrf, { room: field("room") });
      if (action === "extend") {
        if (!field("departure")) return;
        req = call("PATCH", "/api/v1/lodging/checkins/" + id, csrf, { expected_departure_at: vnInput(field("departure")) });
      }
      req.then(function (r) { if (r.ok) location.reload(); else alert(errorText(r.data, r.status)); },
        function () { alert(t("Mất mạng: thử lại sau", "Offline: try again later")); });
    });
  }

  // ---- Police page ---------------------------------------------------------------------------
  var alertsBox = document.getElementById("alerts");
  if (alertsBox) {
    var pcsrf = alertsBox.dataset.csrf;
    var alertList = document.getElementById("alert-list");
    var live = document.getElementById("live");
    var liveStatus = document.getElementById("live-status");

    function alertItem(a) {
      var li = el("li", "alert-item");
      li.dataset.alert = a.alert_id;
      li.appendChild(el("span", "badge bad", a.category === "wanted" ? t("TRUY NÃ", "WANTED") : t("CẦN CHÚ Ý", "OF INTEREST")));
      li.appendChild(document.createTextNode(" " + a.full_name + " — " + a.facility_name + " — " + time(a.created_at) + " — " + a.reason + " "));
      var note = el("input"); note.dataset.field = "note"; note.placeholder = t("Đã xử lý thế nào", "What was done");
      var b = el("button", null, t("Xác nhận đã xử lý", "Acknowledge")); b.type = "button"; b.dataset.action = "ack";
      li.appendChild(note); li.appendChild(b);
      return li;
    }

    alertsBox.addEventListener("click", function (ev) {
      if (ev.target.dataset.action !== "ack") return;
      var li = ev.target.closest("li");
      call("POST", "/api/v1/lodging/alerts/" + li.dataset.alert + "/ack", pcsrf, { note: li.querySelector("[data-field=note]").value })
        .then(function (r) { if (r.ok || r.status === 409) li.remove(); else alert(errorText(r.data, r.status)); });
    });

    // Facilities and venues awaiting approval share the decision buttons.
    ["pending", "pending-venues"].forEach(function (id) {
      var list = document.getElementById(id);
      if (list) list.addEventListener("click", function (ev) {
        var a = ev.target.dataset.action;
        if (a !== "approve" && a !== "suspend") return;
        var li = ev.target.closest("li");
        var url = li.dataset.venue ? "/api/v1/lodging/venues/" + li.dataset.venue : "/api/v1/lodging/facilities/" + li.dataset.facility;
        call("POST", url + "/decision", pcsrf, { status: a === "approve" ? "approved" : "suspended" })
          .then(function (r) { if (r.ok) li.remove(); else alert(errorText(r.data, r.status)); });
      });
    });

    var feed = new EventSource("/api/v1/lodging/feed");
    feed.onopen = function () { liveStatus.textContent = t("trực tuyến", "live"); liveStatus.className = "badge ok"; };
    feed.onerror = function () { liveStatus.textContent = t("mất kết nối, đang thử lại", "disconnected, retrying"); liveStatus.className = "badge warn"; };
    feed.addEventListener("notification", function (ev) {
      var n = JSON.parse(ev.data);
      var li = el("li", "live-notification", time(n.arrival_at) + " · " + n.full_name + " (" + n.nationality + ") · " + n.facility_name + " · " + t("phòng ", "room ") + n.room + " ");
      li.dataset.notification = n.notification_id;
      li.appendChild(el("span", "badge " + (n.late ? "bad" : "ok"), n.late ? t("Trễ hạn", "Late") : t("Đúng hạn", "On time")));
      live.insertBefore(li, live.firstChild);
    });
    feed.addEventListener("declaration", function (ev) {
      var d = JSON.parse(ev.data);
      var li = el("li", "live-declaration", time(d.arrival_at) + " · " + d.full_name + " (VNM) · " + t("tự khai báo tại nhà riêng: ", "private home declaration: ") + d.address + " ");
      li.dataset.declaration = d.declaration_id;
      li.appendChild(el("span", "badge " + (d.late ? "bad" : "ok"), d.late ? t("Trễ hạn", "Late") : t("Đúng hạn", "On time")));
      live.insertBefore(li, live.firstChild);
    });
    feed.addEventListener("alert", function (ev) {
      var a = JSON.parse(ev.data);
      var none = document.getElementById("no-alerts");
      if (none) none.remove();
      alertList.insertBefore(alertItem(a), alertList.firstChild);
    });
    feed.addEventListener("lagged", function () { location.reload(); });
  }

  // ---- Watchlist page ------------------------------------------------------------------------
  var watch = document.getElementById("watch-form");
  if (watch) {
    var wcsrf = watch.dataset.csrf;
    watch.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = function (n) { return watch[n].value.trim() || null; };
      call("POST", "/api/v1/lodging/watchlist", wcsrf, { personal_id: v("personal_id"), passport_number: v("passport_number"),
        nationality: v("nationality"), full_name: v("full_name"), category: watch.category.value, reason: watch.reason.value })
        .then(function (r) {
          if (r.ok) location.reload();
          else { var box = document.getElementById("watch-result"); box.textContent = ""; box.appendChild(el("p", "error", errorText(r.data, r.status))); }
        });
    });
    document.addEventListener("click", function (ev) {
      if (ev.target.dataset.action !== "deactivate") return;
      var row = ev.target.closest("tr");
      call("POST", "/api/v1/lodging/watchlist/" + row.dataset.entry + "/deactivate", wcsrf, {})
        .then(function (r) { if (r.ok) row.remove(); else alert(errorText(r.data, r.status)); });
    });
  }
  // ---- Self-service gate page (venue entry/exit) ---------------------------------------------
  var gate = document.getElementById("gate-form");
  if (gate) {
    var gcsrf = gate.dataset.csrf, gateOut = document.getElementById("gate-result");
    var scanAt = function (text) {
      var g = guestOf(text);
      if (!g) { gateOut.textContent = t("Mã không hợp lệ", "Unreadable code"); return; }
      var body = { venue_id: gate.elements.venue_id.value, gate: gate.elements.gate.value,
        direction: gate.querySelector("input[name=direction]:checked").value, visitor: g.guest };
      call("POST", "/api/v1/lodging/venue-scans", gcsrf, body).then(function (r) {
        gateOut.className = r.ok ? "notice" : "error";
        gateOut.textContent = r.ok
          ? (r.data.direction === "entry" ? t("Mời vào: ", "Welcome: ") : t("Tạm biệt: ", "Goodbye: ")) + r.data.full_name + " — " + time(r.data.at)
          : errorText(r.data, r.status);
      });
    };
    gate.elements.venue_id.addEventListener("change", function () {
      location.href = "/lodging/gate?venue_id=" + encodeURIComponent(gate.elements.venue_id.value);
    });
    var gin = document.getElementById("gate-evidence");
    gin.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      e.preventDefault(); scanAt(gin.value); gin.value = "";
    });
    document.getElementById("gate-camera-button").addEventListener("click", function () {
      cameraScan(document.getElementById("gate-camera"), scanAt);
    });
  }
  // ---- Citizen's declaration of a stay at a private home -------------------------------------
  var declare = document.getElementById("declare-form");
  if (declare) {
    declare.addEventListener("submit", function (e) {
      e.preventDefault();
      var f = declare.elements, out = document.getElementById("declare-result");
      var body = { commune_code: f.commune_code.value.trim(), address: f.address.value, host_name: f.host_name.value,
        host_personal_id: f.host_personal_id.value.trim() || null, reason: f.reason.value,
        expected_departure_at: vnInput(f.departure.value) };
      call("POST", "/api/v1/me/lodging/declarations", declare.dataset.csrf, body).then(function (r) {
        out.className = r.ok ? "notice" : "error";
        out.textContent = r.ok ? t("Đã gửi khai báo, hạn: ", "Declaration sent, deadline: ") + time(r.data.deadline_at) : errorText(r.data, r.status);
        if (r.ok) setTimeout(function () { location.reload(); }, 1500);
      });
    });
  }
  // ---- Coach trips: open a trip, board passengers ----------------------------------------------
  var tripForm = document.getElementById("trip-form");
  if (tripForm) tripForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = tripForm.elements, out = document.getElementById("trip-result");
    var body = { facility_id: f.facility_id.value, route: f.route.value, plate: f.plate.value,
      departure_at: vnInput(f.departure.value) || "" };
    call("POST", "/api/v1/lodging/trips", tripForm.dataset.csrf, body).then(function (r) {
      if (r.ok) { location.href = "/lodging/trips?trip=" + encodeURIComponent(r.data.id); return; }
      out.className = "error"; out.textContent = errorText(r.data, r.status);
    });
  });
  var board = document.getElementById("board-form");
  if (board) {
    var boardOut = document.getElementById("board-result");
    var boardScan = function (text) {
      var g = guestOf(text);
      if (!g) { boardOut.className = "error"; boardOut.textContent = t("Mã không hợp lệ", "Unreadable code"); return; }
      var body = { seat: board.elements.seat.value.trim() || null, passengers: [g.guest] };
      var key = "board-" + Date.now() + "-" + Math.random().toString(36).slice(2);
      call("POST", "/api/v1/lodging/trips/" + board.dataset.trip + "/boardings", board.dataset.csrf, body, { "Idempotency-Key": key })
        .then(function (r) {
          boardOut.className = r.ok ? "notice" : "error";
          boardOut.textContent = r.ok ? t("Đã lên xe: ", "Boarded: ") + r.data.checkins[0].full_name : errorText(r.data, r.status);
          if (r.ok) setTimeout(function () { location.reload(); }, 800);
        });
    };
    var bin = document.getElementById("board-evidence");
    bin.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      e.preventDefault(); boardScan(bin.value); bin.value = "";
    });
    document.getElementById("board-camera-button").addEventListener("click", function () {
      cameraScan(document.getElementById("board-camera"), boardScan);
    });
  }
  // ---- Registration of facilities and venues ------------------------------------------------
  var register = function (id, url, bodyOf) {
    var form = document.getElementById(id);
    if (!form) return;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var out = form.querySelector(".result");
      call("POST", url, form.dataset.csrf, bodyOf(form.elements)).then(function (r) {
        out.className = "result " + (r.ok ? "notice" : "error");
        out.textContent = r.ok ? t("Đã đăng ký, chờ Công an xã phê duyệt", "Registered, awaiting the commune police's approval") : errorText(r.data, r.status);
        if (r.ok) setTimeout(function () { location.reload(); }, 1200);
      });
    });
  };
  register("facility-form", "/api/v1/lodging/facilities", function (f) {
    return { kind: f.kind.value, name: f.name.value, licence_code: f.licence_code.value, commune_code: f.commune_code.value.trim(),
      address: f.address.value, rooms: parseInt(f.rooms.value, 10), beds: parseInt(f.beds.value, 10) };
  });
  register("venue-form", "/api/v1/lodging/venues", function (f) {
    return { kind: f.kind.value, name: f.name.value, commune_code: f.commune_code.value.trim(), address: f.address.value,
      gates: f.gates.value.split(",").map(function (g) { return g.trim(); }).filter(function (g) { return g; }) };
  });
  // ---- Hospital ward: admission, caregivers, discharge ----------------------------------------
  var admit = document.getElementById("admit-form");
  if (admit) {
    admit.elements.facility_id.addEventListener("change", function () {
      location.href = "/lodging/hospital?facility=" + encodeURIComponent(admit.elements.facility_id.value);
    });
    admit.addEventListener("submit", function (e) {
      e.preventDefault();
      var f = admit.elements, out = document.getElementById("admit-result"), g = guestOf(f.evidence.value);
      if (!g) { out.className = "error"; out.textContent = t("Mã không hợp lệ", "Unreadable code"); return; }
      var body = { facility_id: f.facility_id.value, ward: f.ward.value, bed: f.bed.value, patient: g.guest,
        expected_discharge_at: f.discharge.value ? new Date(f.discharge.value + "T12:00:00+07:00").toISOString() : null };
      call("POST", "/api/v1/lodging/hospital/inpatients", admit.dataset.csrf, body).then(function (r) {
        out.className = r.ok ? "notice" : "error";
        out.textContent = r.ok ? t("Đã nhập viện: ", "Admitted: ") + r.data.checkins[0].full_name : errorText(r.data, r.status);
        if (r.ok) setTimeout(function () { location.reload(); }, 800);
      });
    });
  }
  var ward = document.getElementById("inpatients");
  if (ward) ward.addEventListener("click", function (ev) {
    var a = ev.target.dataset.action, row = ev.target.closest("tr");
    if (!row || (a !== "caregiver" && a !== "discharge")) return;
    var req;
    if (a === "caregiver") {
      var g = guestOf(row.querySelector("[data-field=caregiver]").value);
      if (!g) { alert(t("Mã không hợp lệ", "Unreadable code")); return; }
      req = call("POST", "/api/v1/lodging/hospital/caregivers", ward.dataset.csrf,
        { facility_id: ward.dataset.facility, patient_id: row.dataset.patient, caregiver: g.guest });
    } else {
      if (!confirm(t("Cho người bệnh ra viện? Người chăm sóc cũng được trả phòng.", "Discharge the patient? Their caregivers are checked out too."))) return;
      req = call("POST", "/api/v1/lodging/checkins/" + row.dataset.patient + "/checkout", ward.dataset.csrf, {});
    }
    req.then(function (r) { if (r.ok) location.reload(); else alert(errorText(r.data, r.status)); },
      function () { alert(t("Mất mạng: thử lại sau", "Offline: try again later")); });
  });
})();
