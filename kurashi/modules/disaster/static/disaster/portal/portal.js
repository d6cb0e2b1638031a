// The public disaster portal: refreshes the level table and warnings every
// data-refresh-seconds (read again before every refresh, so it can be changed while the page is
// open), draws the municipalities in their 警戒レベル colours with the level written on the map,
// the shelter and report layers, and finds the nearest open shelters from the browser's position.
// Everything here is an enhancement: the page is complete without JavaScript and without tiles.
(function () {
  "use strict";

  var situation = document.getElementById("situation");
  var statusLine = document.getElementById("refresh-status");
  var mapElement = document.getElementById("disaster-map");
  var map = null;
  var boundaries = null;
  var levels = {};

  function text(value) { return value === null || value === undefined ? "" : String(value); }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function clock() {
    var now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0") +
      ":" + String(now.getSeconds()).padStart(2, "0");
  }

  // --- the level table and the map colours --------------------------------------------------

  function rowOf(code) {
    return situation ? situation.querySelector("tr[data-code='" + code + "']") : null;
  }

  function labelOf(code) {
    var row = rowOf(code);
    if (!row) { return ""; }
    return row.dataset.name + " " + row.dataset.label;
  }

  function styleFeature(feature) {
    var state = levels[feature.properties.code] || { level: 0, fill: "#f3f5f8" };
    return {
      className: "municipality-shape level-shape--" + state.level,
      color: "#1a1a1a",
      weight: state.level >= 4 ? 3 : 1.5,
      fillColor: state.fill,
      fillOpacity: state.level ? 0.7 : 0.15
    };
  }

  function labelLayers() {
    if (!boundaries) { return; }
    boundaries.eachLayer(function (layer) {
      var code = layer.feature.properties.code;
      var state = levels[code] || { level: 0 };
      layer.unbindTooltip();
      layer.bindTooltip(labelOf(code) || text(layer.feature.properties.name_ja), {
        permanent: state.level > 0,
        direction: "center",
        className: "map-label map-label--" + code
      });
    });
  }

  function applyLevels(data) {
    levels = data.municipalities || {};
    if (boundaries) {
      boundaries.setStyle(styleFeature);
      labelLayers();
    }
  }

  function fetchLevels() {
    if (!situation) { return Promise.resolve(); }
    return fetch(situation.dataset.levelsUrl, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(applyLevels);
  }

  function refresh() {
    if (!situation) { return Promise.resolve(); }
    var partial = fetch(situation.dataset.situationUrl, { cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var parsed = new DOMParser().parseFromString(html, "text/html");
        situation.replaceChildren.apply(situation, Array.prototype.slice.call(parsed.body.childNodes));
      });
    return partial
      .then(fetchLevels)
      .then(function () {
        if (statusLine) { statusLine.textContent = situation.dataset.updatedText + " " + clock(); }
      })
      .catch(function () {
        if (statusLine) { statusLine.textContent = situation.dataset.failedText; }
      });
  }

  var timer = null;
  function schedule() {
    if (!situation) { return; }
    window.clearTimeout(timer);
    var seconds = parseFloat(situation.dataset.refreshSeconds) || 30;
    timer = window.setTimeout(function () { refresh().then(schedule); }, Math.max(0.5, seconds) * 1000);
  }

  if (situation) {
    // A changed interval takes effect at once (the e2e test shortens it this way).
    new MutationObserver(schedule).observe(situation, { attributes: true, attributeFilter: ["data-refresh-seconds"] });
    schedule();
  }

  // --- the map ------------------------------------------------------------------------------

  var shelterLayer = null;
  var reportLayer = null;
  var HAZARD_FLAGS = {
    flood: ["for_flood", "for_inland_flood"], heavy_rain: ["for_flood", "for_inland_flood"],
    landslide: ["for_landslide"], storm_surge: ["for_storm_surge"], earthquake: ["for_earthquake"],
    tsunami: ["for_tsunami"], fire: ["for_fire"], inland_flood: ["for_inland_flood"], volcano: ["for_volcano"]
  };

  function shelterMatches(properties, hazard, openState) {
    if (openState && properties.open_state && properties.open_state !== openState) { return false; }
    var flags = HAZARD_FLAGS[hazard];
    if (!flags) { return true; }
    return flags.some(function (flag) { return properties[flag] === true; });
  }

  function popup(lines) {
    var box = element("div");
    lines.forEach(function (line, index) {
      if (!line) { return; }
      box.appendChild(element(index === 0 ? "strong" : "p", "", line));
    });
    return box;
  }

  function loadShelters() {
    var url = mapElement.dataset.sheltersUrl;
    if (!map || !url) { return; }
    var hazard = (document.getElementById("shelter-hazard") || {}).value || "";
    var openState = (document.getElementById("shelter-status") || {}).value || "";
    var query = new URLSearchParams();
    if (hazard) { query.set("hazard", hazard); }
    if (openState) { query.set("open_state", openState); }
    fetch(url + (query.toString() ? "?" + query.toString() : ""), { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (shelterLayer) { map.removeLayer(shelterLayer); }
        shelterLayer = L.geoJSON(data, {
          filter: function (feature) { return shelterMatches(feature.properties || {}, hazard, openState); },
          pointToLayer: function (feature, latlng) {
            var isOpen = (feature.properties || {}).open_state === "open";
            return L.circleMarker(latlng, {
              radius: 6, color: "#1d4f91", weight: 3, fillColor: "#1d4f91", fillOpacity: isOpen ? 1 : 0
            });
          },
          onEachFeature: function (feature, layer) {
            var p = feature.properties || {};
            var state = p.open_state === "open" ? mapElement.dataset.openText : mapElement.dataset.notOpenText;
            layer.bindPopup(popup([text(p.name || p.label), state, text(p.address)]));
          }
        });
        var toggle = document.getElementById("layer-shelters");
        if (!toggle || toggle.checked) { shelterLayer.addTo(map); }
      })
      .catch(function () { /* the municipality pages list the open shelters */ });
  }

  function loadReports() {
    var url = mapElement.dataset.reportsUrl;
    if (!map || !url) { return; }
    fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        reportLayer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, { radius: 5, color: "#8a5300", weight: 2, fillColor: "#ffbf47", fillOpacity: 1 });
          },
          onEachFeature: function (feature, layer) {
            var p = feature.properties || {};
            layer.bindPopup(popup([text(p.category_label || p.label || p.category), text(p.text), text(p.published_at)]));
          }
        });
        var toggle = document.getElementById("layer-reports");
        if (!toggle || toggle.checked) { reportLayer.addTo(map); }
      })
      .catch(function () { /* the municipality pages list the reports */ });
  }

  function setUpMap() {
    if (!mapElement || typeof L === "undefined") { return; }
    map = L.map(mapElement, { scrollWheelZoom: false }).setView([33.25, 130.1], 9);
    // Tile errors are harmless: the polygons and their labels are drawn without tiles.
    L.tileLayer(mapElement.dataset.tileUrl, { attribution: mapElement.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
    fetch(mapElement.dataset.boundariesUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        boundaries = L.geoJSON(data, { style: styleFeature }).addTo(map);
        if (data.attribution) { map.attributionControl.addAttribution(text(data.attribution)); }
        labelLayers();
        map.fitBounds(boundaries.getBounds());
        return fetchLevels();
      })
      .catch(function () { /* the table has the same information */ });
    var filters = document.getElementById("map-filters");
    if (filters) {
      filters.hidden = false;
      filters.addEventListener("change", function (event) {
        var id = event.target.id;
        if (id === "layer-shelters" && shelterLayer) {
          if (event.target.checked) { shelterLayer.addTo(map); } else { map.removeLayer(shelterLayer); }
        } else if (id === "layer-reports" && reportLayer) {
          if (event.target.checked) { reportLayer.addTo(map); } else { map.removeLayer(reportLayer); }
        } else {
          loadShelters();
        }
      });
    }
    loadShelters();
    loadReports();
  }

  setUpMap();

  // --- the nearest open shelters ------------------------------------------------------------

  var nearest = document.getElementById("nearest");
  if (nearest) {
    var button = document.getElementById("nearest-button");
    var status = document.getElementById("nearest-status");
    var results = document.getElementById("nearest-results");
    var say = function (key) { status.textContent = nearest.dataset[key] || ""; };
    nearest.hidden = false;

    var show = function (data) {
      results.replaceChildren();
      if (data.status !== "ok") {
        status.textContent = text(data.message);
        return;
      }
      say("textFound");
      data.shelters.forEach(function (shelter) {
        var item = element("li");
        var title = element("strong", "", shelter.name);
        title.lang = "ja";
        item.appendChild(title);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(element("span", "distance", shelter.distance_text));
        var details = element("p", "", [shelter.municipality, shelter.address, shelter.crowding_text].filter(Boolean).join(" · "));
        if (shelter.is_welfare) { details.textContent += " · " + nearest.dataset.textWelfare; }
        item.appendChild(details);
        var links = element("p");
        [[shelter.map_url, nearest.dataset.textMap], [shelter.geo_uri, nearest.dataset.textDirections],
         [shelter.page_url, nearest.dataset.textPage]].forEach(function (pair, index) {
          if (index) { links.appendChild(document.createTextNode(" · ")); }
          var link = element("a", "", pair[1]);
          link.href = pair[0];
          links.appendChild(link);
        });
        item.appendChild(links);
        results.appendChild(item);
      });
    };

    button.addEventListener("click", function () {
      results.replaceChildren();
      if (!navigator.geolocation) { say("textUnsupported"); return; }
      say("textLocating");
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        say("textSearching");
        var query = new URLSearchParams({
          lat: position.coords.latitude.toFixed(6),
          lon: position.coords.longitude.toFixed(6)
        });
        var hazard = document.getElementById("nearest-hazard").value;
        if (hazard) { query.set("hazard", hazard); }
        fetch(nearest.dataset.nearestUrl + "?" + query.toString(), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.json(); })
          .then(show)
          .catch(function () { say("textNetwork"); })
          .then(function () { button.disabled = false; });
      }, function (error) {
        button.disabled = false;
        if (error.code === 1) { say("textDenied"); } else if (error.code === 3) { say("textTimeout"); } else { say("textUnavailable"); }
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
})();
