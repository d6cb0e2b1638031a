/* Kurashi passkeys (WebAuthn): sign in with a passkey, and add one to an account.
   The server (py_webauthn) makes the options and checks the answers; this file only carries
   them between the page and the browser's authenticator (base64url <-> ArrayBuffer). */
(function () {
  "use strict";

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function answer(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (credential.authenticatorAttachment) { out.authenticatorAttachment = credential.authenticatorAttachment; }
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return out;
  }

  function say(box, text) {
    var status = box.querySelector("[role=status]");
    if (status) { status.textContent = text; }
  }

  function signIn(box) {
    var button = box.querySelector("button");
    button.addEventListener("click", function () {
      button.disabled = true;
      say(box, box.dataset.textWorking);
      post(box.dataset.optionsUrl).then(function (reply) {
        var options = reply.data;
        options.challenge = toBuffer(options.challenge);
        (options.allowCredentials || []).forEach(function (item) { item.id = toBuffer(item.id); });
        return navigator.credentials.get({ publicKey: options });
      }).then(function (credential) {
        return post(box.dataset.url, { credential: answer(credential), next: box.dataset.next });
      }).then(function (reply) {
        if (reply.ok && reply.data.ok) {
          window.location.assign(reply.data.next);
          return;
        }
        say(box, reply.data.error || box.dataset.textFailed);
        button.disabled = false;
      }).catch(function () {
        say(box, box.dataset.textFailed);
        button.disabled = false;
      });
    });
  }

  function addPasskey(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      say(form, form.dataset.textWorking);
      post(form.dataset.optionsUrl).then(function (reply) {
        var options = reply.data;
        options.challenge = toBuffer(options.challenge);
        options.user.id = toBuffer(options.user.id);
        (options.excludeCredentials || []).forEach(function (item) { item.id = toBuffer(item.id); });
        return navigator.credentials.create({ publicKey: options });
      }).then(function (credential) {
        return post(form.dataset.url, { credential: answer(credential), name: form.elements.name.value });
      }).then(function (reply) {
        if (reply.ok && reply.data.ok) {
          window.location.reload();
          return;
        }
        say(form, reply.data.error || form.dataset.textFailed);
        button.disabled = false;
      }).catch(function () {
        say(form, form.dataset.textFailed);
        button.disabled = false;
      });
    });
  }

  var supported = Boolean(window.PublicKeyCredential && navigator.credentials);
  document.querySelectorAll("[data-passkey-sign-in]").forEach(function (box) {
    if (supported) { box.hidden = false; signIn(box); }
  });
  document.querySelectorAll("form[data-passkey-add]").forEach(function (form) {
    if (supported) { form.hidden = false; addPasskey(form); } else {
      var note = document.getElementById("passkey-unsupported");
      if (note) { note.hidden = false; }
    }
  });
}());
