// Passkeys: the browser half of the WebAuthn ceremonies of /login and /account/passkeys.
// The server sends options with base64url fields; the WebAuthn API wants ArrayBuffers, and the
// answer goes back as base64url again. Without this script (or without WebAuthn) the pages still
// work with passwords.
(function () {
  "use strict";

  function toBytes(b64url) {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function toB64url(buf) {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    const pk = Object.assign({}, o.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBytes(pk.user.id) });
    pk.excludeCredentials = (pk.excludeCredentials || []).map((c) => Object.assign({}, c, { id: toBytes(c.id) }));
    return { publicKey: pk };
  }

  function requestOptions(o) {
    const pk = Object.assign({}, o.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.allowCredentials = (pk.allowCredentials || []).map((c) => Object.assign({}, c, { id: toBytes(c.id) }));
    return { publicKey: pk };
  }

  function registrationJson(cred) {
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      extensions: cred.getClientExtensionResults(),
      response: {
        attestationObject: toB64url(cred.response.attestationObject),
        clientDataJSON: toB64url(cred.response.clientDataJSON),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
    };
  }

  function assertionJson(cred) {
    const r = cred.response;
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      extensions: cred.getClientExtensionResults(),
      response: {
        authenticatorData: toB64url(r.authenticatorData),
        clientDataJSON: toB64url(r.clientDataJSON),
        signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : null,
      },
    };
  }

  async function post(url, csrf, body) {
    const resp = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const e = (data && data.error) || {};
      // The API sends both languages; the page's language picks one.
      const english = document.documentElement.lang === "en";
      throw new Error((english ? e.message_en : e.message) || e.message || resp.statusText);
    }
    return data;
  }

  function say(el, text, isError) {
    if (!el) return;
    el.textContent = text;
    el.className = isError ? "error" : "badge ok";
    el.hidden = false;
  }

  // The browser's own refusal (cancelled, timed out, no matching passkey) in the page's words.
  function cancelled(root, err) {
    if (err && err.name === "NotAllowedError") return root.dataset.msgCancelled;
    return err && err.message ? err.message : root.dataset.msgFailed;
  }

  const supported = typeof window.PublicKeyCredential === "function";

  // Passkeys belong to one origin (a loopback IP is served as localhost): elsewhere, point there.
  function atOrigin(root, status) {
    if (window.location.origin === root.dataset.origin) return true;
    const link = document.createElement("a");
    link.href = root.dataset.origin + window.location.pathname;
    link.textContent = link.href;
    status.textContent = root.dataset.msgElsewhere + " ";
    status.appendChild(link);
    status.className = "muted";
    status.hidden = false;
    return false;
  }

  const signIn = document.getElementById("passkey-signin");
  if (signIn && supported && atOrigin(signIn, document.getElementById("passkey-status"))) {
    signIn.hidden = false;
    const status = document.getElementById("passkey-status");
    signIn.querySelector("button").addEventListener("click", async () => {
      const form = document.querySelector("form[action='/login']");
      const login = form.querySelector("input[name=login]").value.trim();
      const csrf = form.querySelector("input[name=csrf]").value;
      const next = form.querySelector("input[name=next]").value;
      if (!login) {
        say(status, signIn.dataset.msgLogin, true);
        form.querySelector("input[name=login]").focus();
        return;
      }
      try {
        const start = await post("/login/passkey/options", csrf, { login });
        const cred = await navigator.credentials.get(requestOptions(start.options));
        const done = await post("/login/passkey", csrf, { ticket: start.ticket, credential: assertionJson(cred), next });
        window.location.assign(done.redirect);
      } catch (err) {
        say(status, cancelled(signIn, err), true);
      }
    });
  }

  const add = document.getElementById("passkey-add");
  if (add && supported && atOrigin(add, document.getElementById("passkey-status"))) {
    add.hidden = false;
    const status = document.getElementById("passkey-status");
    add.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const csrf = add.dataset.csrf;
      const name = add.querySelector("input[name=name]").value.trim();
      try {
        const start = await post("/account/passkeys/options", csrf, {});
        const cred = await navigator.credentials.create(creationOptions(start.options));
        await post("/account/passkeys", csrf, { ticket: start.ticket, name, credential: registrationJson(cred) });
        window.location.reload();
      } catch (err) {
        say(status, cancelled(add, err), true);
      }
    });
  }
  const unsupported = document.getElementById("passkey-unsupported");
  if (unsupported && !supported) unsupported.hidden = false;
})();
