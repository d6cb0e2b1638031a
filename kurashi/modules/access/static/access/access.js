/* Kurashi access module: live chat / captions over Server-Sent Events, posting with fetch,
   geolocation for text 119, and the dispatcher console's alert. Every page works without this
   file (plain forms); it only makes them live. No inline script: CSP script-src 'self'. */
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function randomKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  function setStatus(node, text, state) {
    if (!node) { return; }
    node.textContent = text;
    node.setAttribute("data-state", state);
  }

  /* The server formats every time in Asia/Tokyo (message.time); the browser's own clock zone
     (UTC on many tablets and kiosks) must never decide what a caller or dispatcher reads. */
  function timeText(message) {
    if (message.time) { return message.time; }
    var match = /T(\d\d:\d\d:\d\d)/.exec(message.at || "");
    return match ? match[1] : "";
  }

  /* Post a form with fetch; on failure keep the text in the field (nothing is lost). */
  function postForm(form, submitter, onDone) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
    if (!data.get("client_key")) { data.set("client_key", randomKey()); }
    var error = $("[data-post-error]", form.closest("[data-live]") || document);
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok || !result.body.ok) { throw new Error(result.body.error || "error"); }
      if (error) { error.textContent = ""; error.hidden = true; }
      if (onDone) { onDone(result.body); }
    }).catch(function (problem) {
      if (error) { error.textContent = (error.getAttribute("data-text") || "") + " " + (problem.message === "error" ? "" : problem.message); error.hidden = false; }
    });
  }

  /* --- live channel (text 119 chat, relay chat, captions) ------------------------------ */
  function setUpChannel(root) {
    var list = $("[data-messages]", root);
    var status = $("[data-live-status]", root);
    var kind = root.getAttribute("data-live");
    var lastSeq = parseInt(root.getAttribute("data-last-seq") || "0", 10);
    var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
    var me = root.getAttribute("data-me") || "";

    function render(message) {
      if (message.seq <= lastSeq) { return; }
      lastSeq = message.seq;
      root.setAttribute("data-last-seq", String(lastSeq));
      if (kind === "captions") { renderCaption(message); } else { renderChat(message); }
      var event = new CustomEvent("access:message", { detail: message });
      root.dispatchEvent(event);
    }

    function renderCaption(message) {
      if (message.kind === "caption") {
        var line = document.createElement("p");
        line.className = "caption-line";
        line.setAttribute("data-seq", String(message.seq));
        line.textContent = message.body;
        list.appendChild(line);
      } else if (message.kind === "correction") {
        var target = $("[data-seq='" + message.target + "']", list);
        if (target) {
          target.textContent = message.body;
          target.classList.add("caption-line--corrected");
        }
      } else if (message.kind === "system" && message.body === "ended") {
        setStatus(status, labels.ended || "", "ended");
      }
      list.scrollTop = list.scrollHeight;
      if (root.getAttribute("data-follow") !== "no") {
        var last = list.lastElementChild;
        if (last && last.scrollIntoView && kind === "captions" && root.classList.contains("captions--screen")) { last.scrollIntoView(false); }
      }
    }

    function renderChat(message) {
      var item = document.createElement("li");
      item.className = "msg msg--" + message.role + (message.role === me ? " msg--mine" : "");
      item.setAttribute("data-seq", String(message.seq));
      if (message.kind === "system") {
        item.className = "msg msg--system";
        var parts = message.body.split(":");
        var label = labels["system:" + parts[0]];
        item.textContent = label ? label.replace("%s", parts.slice(1).join(":")) : message.body;
      } else {
        var who = document.createElement("span");
        who.className = "msg__who";
        who.textContent = labels[message.role] || message.role;
        var body = document.createElement("span");
        body.className = "msg__body";
        body.textContent = message.body;
        var at = document.createElement("time");
        at.className = "msg__time";
        at.dateTime = message.at;
        at.textContent = timeText(message);
        item.appendChild(who);
        item.appendChild(body);
        item.appendChild(at);
      }
      list.appendChild(item);
      list.scrollTop = list.scrollHeight;
    }

    var url = root.getAttribute("data-events-url");
    var source = null;
    var lastHeard = Date.now();
    function connect() {
      if (source) { source.close(); }
      lastHeard = Date.now();
      // ?after= is the last sequence shown: after any drop the server sends what was missed.
      // (Kurashi's micro-cache never coalesces event streams: core/microcache.py.)
      source = new EventSource(url + (url.indexOf("?") >= 0 ? "&" : "?") + "after=" + lastSeq);
      source.addEventListener("open", function () { lastHeard = Date.now(); setStatus(status, labels.online || "", "online"); });
      source.addEventListener("ping", function () { lastHeard = Date.now(); });
      source.addEventListener("message", function (event) {
        lastHeard = Date.now();
        try { render(JSON.parse(event.data)); } catch (ignored) { /* a malformed frame is skipped */ }
      });
      source.addEventListener("error", function () {
        setStatus(status, labels.offline || "", "offline");
        if (source.readyState === EventSource.CLOSED) {
          // The server refused or the browser gave up: try again with the last sequence seen.
          window.setTimeout(connect, 3000);
        }
      });
    }
    connect();
    // A phone that loses its network often keeps a dead connection open: drop it at once when
    // the browser says it is offline, reconnect when it is back, and reconnect if even the
    // server's heartbeat (every 15 s) has not been heard for 40 s.
    window.addEventListener("offline", function () {
      if (source) { source.close(); }
      setStatus(status, labels.offline || "", "offline");
    });
    window.addEventListener("online", connect);
    window.setInterval(function () {
      if (navigator.onLine !== false && Date.now() - lastHeard > 40000) { connect(); }
    }, 10000);

    $all("form[data-post]", root).forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        // The text field, not the quick-reply buttons (they carry name=body too).
        var field = $("textarea[name=body], input[type=text][name=body]", form);
        var submitter = event.submitter || null;
        var sentText = field ? field.value : "";
        if (field && !(submitter && submitter.name === "body") && !field.value.trim()) { field.focus(); return; }
        postForm(form, submitter, function () {
          if (field && !(submitter && submitter.name === "body") && field.value === sentText) { field.value = ""; }
          var key = $("[name=client_key]", form);
          if (key) { key.value = ""; }
          if (field && form.hasAttribute("data-keep-focus")) { field.focus(); }
          var reset = form.getAttribute("data-reset");
          if (reset) { $all(reset, form).forEach(function (input) { input.value = ""; }); }
        });
      });
    });

    /* Captioners: Enter commits a line (Shift+Enter for a new line in the field). */
    $all("textarea[data-enter-commits]", root).forEach(function (area) {
      area.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          if (area.form.requestSubmit) { area.form.requestSubmit(); } else { area.form.dispatchEvent(new Event("submit", { cancelable: true })); }
        }
      });
    });

    /* Captioners: choose a line to correct. */
    var correction = $("form[data-correction]", root);
    if (correction && list) {
      list.addEventListener("click", function (event) {
        var line = event.target.closest("[data-seq]");
        if (!line) { return; }
        $("[name=target]", correction).value = line.getAttribute("data-seq");
        var body = $("[name=body]", correction);
        body.value = line.textContent;
        body.focus();
      });
    }
  }

  /* --- caller: position for text 119 ---------------------------------------------------- */
  function setUpCaller(form) {
    var status = $("#position-status");
    var key = $("[name=client_key]", form);
    if (key && !key.value) { key.value = randomKey(); }
    if (!navigator.geolocation) { return; }
    setStatus(status, form.getAttribute("data-text-locating"), "locating");
    navigator.geolocation.getCurrentPosition(function (position) {
      var coords = position.coords;
      $("[name=latitude]", form).value = coords.latitude.toFixed(6);
      $("[name=longitude]", form).value = coords.longitude.toFixed(6);
      $("[name=accuracy]", form).value = Math.round(coords.accuracy || 0);
      var where = form.getAttribute("data-where-url") + "?lat=" + coords.latitude + "&lon=" + coords.longitude;
      fetch(where, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (found) {
        var select = $("[name=municipality_code]", form);
        if (found.code) {
          $("[name=gps_municipality]", form).value = found.code;
          if (select) { select.value = found.code; }
        }
        setStatus(status, form.getAttribute("data-text-located") + " " + (found.name || "?") + " (±" + Math.round(coords.accuracy || 0) + " m)", "located");
      }).catch(function () {
        setStatus(status, form.getAttribute("data-text-located") + " " + coords.latitude.toFixed(4) + ", " + coords.longitude.toFixed(4), "located");
      });
    }, function () {
      setStatus(status, form.getAttribute("data-text-no-position"), "failed");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  /* --- caller call page: the "received" confirmation follows the channel ------------------ */
  function setUpCallerState(root) {
    var banner = $("#call-state");
    if (!banner) { return; }
    root.addEventListener("access:message", function (event) {
      var message = event.detail;
      if (message.kind !== "system") { return; }
      var text = banner.getAttribute("data-text-" + message.body);
      if (text) {
        banner.textContent = text;
        banner.setAttribute("data-state", message.body);
      }
    });
  }

  /* --- dispatcher console: live list, sound and visual alert ------------------------------ */
  var audioContext = null;
  function beep() {
    if (!audioContext) { return; }
    var now = audioContext.currentTime;
    [0, 0.35, 0.7].forEach(function (offset) {
      var oscillator = audioContext.createOscillator();
      var gain = audioContext.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, now + offset);
      gain.gain.setValueAtTime(0, now + offset + 0.2);
      oscillator.connect(gain);
      gain.connect(audioContext.destination);
      oscillator.start(now + offset);
      oscillator.stop(now + offset + 0.25);
    });
  }

  function setUpConsole(root) {
    var list = $("#console-calls", root);
    var alertBox = $("#call-alert");
    var status = $("[data-live-status]", root);
    var sound = $("#sound-toggle");
    function waiting() { return $all("[data-state=created]", list).length; }
    var lastWaiting = waiting();
    var known = $all("[data-call]", list).map(function (n) { return n.getAttribute("data-call"); });

    if (sound) {
      sound.hidden = false;
      sound.addEventListener("click", function () {
        var Context = window.AudioContext || window.webkitAudioContext;
        if (!audioContext && Context) { audioContext = new Context(); }
        if (audioContext && audioContext.state === "suspended") { audioContext.resume(); }
        sound.setAttribute("aria-pressed", "true");
        sound.textContent = sound.getAttribute("data-text-on");
        beep();
      });
    }

    function refresh() {
      return fetch(root.getAttribute("data-calls-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          list.innerHTML = html;
          var now = waiting();
          var ids = $all("[data-call]", list).map(function (n) { return n.getAttribute("data-call"); });
          var fresh = ids.filter(function (id) { return known.indexOf(id) < 0; });
          known = ids;
          if (now > lastWaiting || fresh.length) {
            alertBox.hidden = false;
            alertBox.textContent = alertBox.getAttribute("data-text") + " (" + now + ")";
            alertBox.classList.add("call-alert--flash");
            document.title = "🔴 " + document.title.replace(/^🔴 /, "");
            beep();
          } else if (now === 0) {
            alertBox.hidden = true;
            alertBox.classList.remove("call-alert--flash");
            document.title = document.title.replace(/^🔴 /, "");
          }
          lastWaiting = now;
        });
    }

    var source = null;
    function connect() {
      if (source) { source.close(); }
      source = new EventSource(root.getAttribute("data-events-url"));
      // Every (re)connection refetches the list: nothing that happened meanwhile is missed.
      source.addEventListener("open", function () { setStatus(status, status.getAttribute("data-text-online"), "online"); refresh(); });
      source.addEventListener("calls", function () { refresh(); });
      source.addEventListener("error", function () { setStatus(status, status.getAttribute("data-text-offline"), "offline"); });
    }
    connect();
    window.addEventListener("offline", function () { source.close(); setStatus(status, status.getAttribute("data-text-offline"), "offline"); });
    window.addEventListener("online", connect);
  }

  /* --- caption views: large text / high contrast without reload -------------------------- */
  function setUpViewSwitch(root) {
    $all("a[data-view]", root).forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var view = link.getAttribute("data-view");
        var target = $("[data-live=captions]");
        target.classList.remove("captions--standard", "captions--large", "captions--contrast");
        target.classList.add("captions--" + view);
        $all("a[data-view]", root).forEach(function (other) { other.removeAttribute("aria-current"); });
        link.setAttribute("aria-current", "true");
        if (window.history && window.history.replaceState) { window.history.replaceState(null, "", link.href); }
      });
    });
  }

  /* --- dispatcher console: the caller's position on the GSI map (Leaflet) ------------------ */
  function setUpCallMap(element) {
    if (typeof L === "undefined") { return; }
    var lat = parseFloat(element.getAttribute("data-lat"));
    var lon = parseFloat(element.getAttribute("data-lon"));
    if (isNaN(lat) || isNaN(lon)) { return; }
    var map = L.map(element, { scrollWheelZoom: false }).setView([lat, lon], 16);
    if (element.getAttribute("data-tile-url")) {
      L.tileLayer(element.getAttribute("data-tile-url"), {
        attribution: element.getAttribute("data-tile-attribution") || "", maxZoom: 18
      }).addTo(map);
    }
    var accuracy = parseFloat(element.getAttribute("data-accuracy"));
    if (!isNaN(accuracy) && accuracy > 0) {
      L.circle([lat, lon], { radius: accuracy, color: "#b00020", weight: 1, fillOpacity: 0.1 }).addTo(map);
    }
    // A vector marker, not an image: marker images break under hashed static names.
    var marker = L.circleMarker([lat, lon], {
      radius: 10, color: "#b00020", weight: 3, fillColor: "#ffffff", fillOpacity: 1, className: "call-map__caller"
    }).addTo(map);
    var tip = document.createElement("span");
    tip.textContent = element.getAttribute("data-label") || "";
    marker.bindTooltip(tip, { permanent: true, direction: "top" });
    element.setAttribute("data-ready", "1");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var callMap = $("#call-map");
    if (callMap) { setUpCallMap(callMap); }
    $all("[data-live]").forEach(setUpChannel);
    var caller = $("form[data-caller]");
    if (caller) { setUpCaller(caller); }
    var callRoot = $("[data-live=call]");
    if (callRoot) { setUpCallerState(callRoot); }
    var consoleRoot = $("[data-console]");
    if (consoleRoot) { setUpConsole(consoleRoot); }
    var views = $("[data-view-switch]");
    if (views) { setUpViewSwitch(views); }
  });
}());
