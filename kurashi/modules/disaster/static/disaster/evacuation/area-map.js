// The area of an evacuation order on a map: shown on the preview, drawn on the draft form.
// Without JavaScript or tiles the page still works: the preview lists the area in text, and
// the form takes the area as districts or as GeoJSON typed into the text box.
(function () {
  "use strict";
  var element = document.getElementById("area-map");
  if (!element || typeof L === "undefined") { return; }

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (error) { return null; }
  }

  var map = L.map(element, { scrollWheelZoom: false }).setView([33.25, 130.1], 9);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      attribution: element.dataset.tileAttribution || "", maxZoom: 18
    }).addTo(map);
  }
  var boundaryLayer = L.geoJSON(null, {
    style: function () { return { color: "#1d4f91", weight: 2, fillOpacity: 0.05 }; }
  }).addTo(map);
  var areaLayer = L.geoJSON(null, {
    style: function () { return { color: "#aa00aa", weight: 3, fillOpacity: 0.25 }; }
  }).addTo(map);

  function fit() {
    var bounds = areaLayer.getLayers().length ? areaLayer.getBounds() : boundaryLayer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
  }

  if (element.dataset.mode === "show") {
    var boundary = readJson("area-boundary");
    var polygon = readJson("area-polygon");
    if (boundary) { boundaryLayer.addData(boundary); }
    if (polygon) { areaLayer.addData(polygon); }
    fit();
    return;
  }

  // Draw mode: each click adds a point of one polygon; the GeoJSON goes into the text box.
  var boundaries = readJson("area-boundaries") || {};
  var select = document.getElementById("id_municipality_code");
  var input = document.getElementById("id_area_geojson");
  var controls = element.parentNode.querySelector(".map-controls");
  var points = [];  // [lat, lng]

  function showBoundary() {
    boundaryLayer.clearLayers();
    var code = select ? select.value : null;
    if (code && boundaries[code]) { boundaryLayer.addData(boundaries[code]); }
  }

  function writeInput() {
    if (!input) { return; }
    if (points.length < 3) { input.value = ""; return; }
    var ring = points.map(function (p) { return [Number(p[1].toFixed(6)), Number(p[0].toFixed(6))]; });
    ring.push(ring[0]);
    input.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
  }

  function redraw() {
    areaLayer.clearLayers();
    if (points.length >= 3) {
      var ring = points.map(function (p) { return [p[1], p[0]]; });
      ring.push(ring[0]);
      areaLayer.addData({ type: "Polygon", coordinates: [ring] });
    } else if (points.length) {
      points.forEach(function (p) { areaLayer.addLayer(L.circleMarker(p, { radius: 4, color: "#aa00aa" })); });
    }
  }

  function loadInput() {
    points = [];
    areaLayer.clearLayers();
    if (!input || !input.value.trim()) { return; }
    try {
      var geometry = JSON.parse(input.value);
      areaLayer.addData(geometry);
      if (geometry.type === "Polygon") {
        points = geometry.coordinates[0].slice(0, -1).map(function (c) { return [c[1], c[0]]; });
      }
    } catch (error) { /* the server reports invalid GeoJSON */ }
  }

  if (controls) { controls.hidden = false; }
  showBoundary();
  loadInput();
  fit();
  if (select) { select.addEventListener("change", function () { showBoundary(); fit(); }); }
  if (input) { input.addEventListener("change", function () { loadInput(); fit(); }); }
  map.on("click", function (event) {
    points.push([event.latlng.lat, event.latlng.lng]);
    redraw();
    writeInput();
  });
  element.parentNode.addEventListener("click", function (event) {
    var action = event.target.getAttribute && event.target.getAttribute("data-map-action");
    if (action === "undo") { points.pop(); }
    else if (action === "clear") { points = []; }
    else { return; }
    redraw();
    writeInput();
  });
})();
