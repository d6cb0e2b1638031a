/* Kurashi ems: live regions (Server-Sent Events, poll fallback), the offline write queue with
   idempotency keys, GPS for a new case, and the hospital's request alert. Every page works without
   this file; it only makes them live. No inline scripts (CSP script-src 'self'). */
(function () {
  "use strict";

  var QUEUE_KEY = "kurashi-ems-queue";
  var POLL_MS = 20000;
  var FLUSH_MS = 15000;
  var live = document.getElementById("ems-live");
  if (!live) {
    return;
  }
  var messages = document.getElementById("ems-messages");
  var connection = document.getElementById("ems-connection");
  var queueNote = document.getElementById("ems-queue");
  var alertBox = document.getElementById("ems-alert");
  var strings = live.dataset;
  var pollTimer = null;
  var refreshTimers = {};

  function say(text) {
    if (messages) {
      messages.textContent = text;
    }
  }

  function setConnection(online) {
    if (!connection) {
      return;
    }
    connection.textContent = online ? strings.textOnline : strings.textOffline;
    connection.className = online ? "ems-online" : "ems-offline";
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* --- live regions ------------------------------------------------------------------------ */

  /* A refresh replaces the region's HTML. What the user was doing in it survives: the
     <details> they opened (a department's list of refusal reasons) stay open, and the control
     they had focused keeps the focus. Both are found again by the row's data-key and their
     position in the row. */
  function placeOf(root, element) {
    var row = element.closest("[data-key]");
    var scope = row || root;
    var same = scope.querySelectorAll(element.tagName);
    return (row ? row.dataset.key : "") + "|" + element.tagName + "|" +
      Array.prototype.indexOf.call(same, element);
  }

  function find(root, place) {
    var parts = place.split("|");
    var scope = parts[0] ? root.querySelector('[data-key="' + CSS.escape(parts[0]) + '"]') : root;
    return scope ? scope.querySelectorAll(parts[1])[Number(parts[2])] || null : null;
  }

  function carryState(current, fresh) {
    Array.prototype.forEach.call(current.querySelectorAll("details[open]"), function (details) {
      var twin = find(fresh, placeOf(current, details));
      if (twin && twin.tagName === "DETAILS") {
        twin.open = true;
      }
    });
    var focused = document.activeElement;
    return focused && focused !== current && current.contains(focused)
      ? placeOf(current, focused)
      : null;
  }

  function refreshRegion(region) {
    var url = region.dataset.liveUrl;
    if (!url) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.firstElementChild;
        var current = document.getElementById(region.id);
        if (fresh && current) {
          var focusPlace = carryState(current, fresh);
          current.replaceWith(fresh);
          if (focusPlace) {
            var again = find(fresh, focusPlace);
            if (again) {
              again.focus();
            }
          }
          wire();
        }
      })
      .catch(function () { setConnection(false); });
  }

  function refreshKind(kind) {
    document.querySelectorAll("[data-live-kinds]").forEach(function (region) {
      var kinds = region.dataset.liveKinds.split(",");
      if (kind !== "*" && kinds.indexOf(kind) < 0) {
        return;
      }
      clearTimeout(refreshTimers[region.id]);
      refreshTimers[region.id] = setTimeout(function () { refreshRegion(region); }, 150);
    });
  }

  var audio = null;
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      audio = new Context();
    }
    return audio;
  }

  function beep() {
    try {
      var context = audioContext();
      [0, 0.3].forEach(function (offset) {
        var tone = context.createOscillator();
        var gain = context.createGain();
        tone.frequency.value = 880;
        gain.gain.value = 0.25;
        tone.connect(gain);
        gain.connect(context.destination);
        tone.start(context.currentTime + offset);
        tone.stop(context.currentTime + offset + 0.2);
      });
    } catch (error) {
      /* no sound available: the visible alert remains */
    }
    live.dataset.beeps = String(Number(live.dataset.beeps || "0") + 1);
  }

  /* --- the hospital's alarm: the banner stays on top and the sound repeats until someone
     presses "seen" (on any screen of the hospital: the acknowledgement is an event too) ------ */
  var ALARM_MS = 4000;
  var alarmTimer = null;

  function wireAlarm() {
    var holder = document.getElementById("request-alert");
    if (!holder) {
      return;
    }
    var waiting = Number(holder.dataset.unacknowledged || "0");
    if (waiting > 0 && alarmTimer === null) {
      beep();
      alarmTimer = setInterval(beep, ALARM_MS);
    } else if (waiting === 0 && alarmTimer !== null) {
      clearInterval(alarmTimer);
      alarmTimer = null;
    }
    live.dataset.alarm = alarmTimer === null ? "off" : "on";
    var enable = document.getElementById("sound-enable");
    var context = audioContext();
    if (enable && !enable.dataset.wired && context && context.state === "suspended") {
      enable.dataset.wired = "1";
      enable.hidden = false; /* the browser needs one tap before it may play a sound */
      enable.addEventListener("click", function () {
        context.resume();
        enable.hidden = true;
        beep();
      });
    }
  }

  /* --- devices: a browser registers its push subscription for new requests ------------------ */
  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function wireDevices() {
    var form = document.getElementById("device-form");
    if (!form || form.dataset.wired || !("serviceWorker" in navigator) || !("PushManager" in window)) {
      return;
    }
    form.dataset.wired = "1";
    form.hidden = false;
    var status = document.getElementById("device-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      navigator.serviceWorker.register(strings.swUrl)
        .then(function () { return navigator.serviceWorker.ready; })
        .then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(form.dataset.pushKey)
          });
        })
        .then(function (subscription) {
          var json = subscription.toJSON();
          var body = new URLSearchParams({
            endpoint: json.endpoint,
            p256dh: json.keys.p256dh,
            auth: json.keys.auth,
            label: form.querySelector("[name=label]").value,
            csrfmiddlewaretoken: csrfToken()
          });
          return post({ url: form.action, body: body.toString() });
        })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          status.textContent = data.ok ? data.message : (data.errors || []).join(" ");
        })
        .catch(function (error) { status.textContent = String(error && error.message || error); });
    });
  }

  function showAlert(text) {
    if (!alertBox) {
      return;
    }
    alertBox.textContent = text;
    alertBox.hidden = false;
    beep();
  }

  function onEvent(kind, event) {
    setConnection(true);
    var data = {};
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      data = {};
    }
    refreshKind(kind); /* a new request refreshes the hospital's banner: wireAlarm() rings */
    if (kind === "escalation") {
      markEscalated(data);
    }
    if (kind === "escalation" && alertBox) {
      showAlert(strings.textEscalation);
    }
  }

  /* The event itself says which case became 搬送困難事案: the board marks its row at once,
     before the region's refresh (a fetch and a render) arrives with the rest. */
  function markEscalated(data) {
    if (!data.case || !window.CSS || !CSS.escape) {
      return;
    }
    var row = document.querySelector("#board tr[data-case='" + CSS.escape(data.case) + "']");
    if (!row || row.classList.contains("difficult-row")) {
      return;
    }
    row.dataset.escalatedAt = data.escalated_at || "";
    row.classList.add("difficult-row");
    var state = row.cells[4];
    if (state) {
      var mark = document.createElement("strong");
      mark.className = "inferred";
      mark.textContent = strings.textDifficult || "";
      state.appendChild(document.createElement("br"));
      state.appendChild(mark);
    }
  }

  function startPolling() {
    if (pollTimer === null) {
      pollTimer = setInterval(function () { refreshKind("*"); }, POLL_MS);
    }
  }

  function stopPolling() {
    if (pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  function connect() {
    if (!window.EventSource || !strings.eventsUrl) {
      startPolling();
      return;
    }
    var opened = false;
    var source = new EventSource(strings.eventsUrl);
    source.addEventListener("open", function () {
      setConnection(true);
      stopPolling();
      if (opened) {
        refreshKind("*"); /* reconnected: catch up on what was missed */
      }
      opened = true;
    });
    source.addEventListener("error", function () {
      setConnection(false);
      startPolling(); /* EventSource keeps retrying; polling covers the gap */
    });
    ["status", "request", "case", "escalation", "capacity", "mci"].forEach(function (kind) {
      source.addEventListener(kind, function (event) { onEvent(kind, event); });
    });
    live.dataset.connected = "1";
  }

  /* --- offline write queue ----------------------------------------------------------------- */

  function loadQueue() {
    try {
      return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  function saveQueue(items) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(items));
    if (queueNote) {
      queueNote.hidden = items.length === 0;
      queueNote.textContent = items.length ? strings.textQueued.replace("%s", String(items.length)) : "";
    }
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(item) {
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Ems-Client": "1",
        "X-CSRFToken": csrfToken()
      },
      body: item.body
    });
  }

  function handleAnswer(response, follow) {
    return response.json().then(function (data) {
      if (data.ok) {
        say(data.message);
        if (follow && data.redirect && data.redirect !== window.location.pathname) {
          window.location.assign(data.redirect);
        } else {
          refreshKind("*");
        }
      } else {
        say((data.errors || []).join(" "));
      }
    }).catch(function () { say(strings.textFailed); });
  }

  var flushing = false;
  function flush() {
    var items = loadQueue();
    if (flushing || items.length === 0) {
      return;
    }
    flushing = true;
    var item = items[0];
    post(item)
      .then(function (response) {
        if (response.status >= 500) {
          throw new Error("server");
        }
        saveQueue(loadQueue().slice(1)); /* sent: replays are harmless (idempotency key) */
        return handleAnswer(response, false);
      })
      .then(function () {
        flushing = false;
        flush();
      })
      .catch(function () {
        flushing = false;
        setConnection(false);
      });
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-queue]")) {
      return;
    }
    event.preventDefault();
    var keyField = form.querySelector("input[name=client_key]");
    if (keyField && form.dataset.freshKey === "1") {
      keyField.value = newKey(); /* one key per tap; a replay of this tap reuses it */
    }
    var atField = form.querySelector("input[name=at], input[name=called_at]");
    if (atField) {
      atField.value = new Date().toISOString(); /* the moment of the tap, kept if queued */
    }
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var item = { url: form.action, body: new URLSearchParams(data).toString() };
    post(item)
      .then(function (response) {
        if (response.status >= 500) {
          throw new Error("server");
        }
        return handleAnswer(response, form.dataset.follow === "1");
      })
      .catch(function () {
        var items = loadQueue();
        items.push(item);
        saveQueue(items);
        setConnection(false);
        say(strings.textQueuedOne);
      });
  }

  /* --- page features ----------------------------------------------------------------------- */

  function limitChoices() {
    var holder = document.querySelector("[data-max-choices]");
    if (!holder) {
      return;
    }
    var max = parseInt(holder.dataset.maxChoices, 10);
    var boxes = document.querySelectorAll("input[name=targets]");
    function update() {
      var checked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      boxes.forEach(function (box) { box.disabled = !box.checked && checked >= max; });
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  function locate() {
    var lat = document.getElementById("id_latitude");
    var lon = document.getElementById("id_longitude");
    var note = document.getElementById("gps-status");
    if (!lat || !lon || !navigator.geolocation) {
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        if (note) {
          note.textContent = strings.textGpsOk;
        }
      },
      function () {
        if (note) {
          note.textContent = strings.textGpsFailed;
        }
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }

  function wire() {
    limitChoices();
    wireAlarm();
    wireDevices();
  }

  document.addEventListener("submit", onSubmit);
  window.addEventListener("online", function () { setConnection(true); flush(); });
  window.addEventListener("offline", function () { setConnection(false); });
  setInterval(flush, FLUSH_MS);
  saveQueue(loadQueue());
  flush();
  wire();
  locate();
  connect();
  if ("serviceWorker" in navigator && strings.swUrl) {
    navigator.serviceWorker.register(strings.swUrl).catch(function () { /* optional */ });
  }
})();
