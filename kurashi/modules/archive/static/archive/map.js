// The archive's browse map: public items with a map point, linking to their pages.
(function () {
  "use strict";
  var element = document.getElementById("archive-map");
  if (!element || typeof L === "undefined") { return; }
  var map = L.map(element, { scrollWheelZoom: false }).setView([33.25, 130.1], 9);
  L.tileLayer(element.getAttribute("data-tile-url"), {
    attribution: element.getAttribute("data-tile-attribution"), maxZoom: 18
  }).addTo(map);
  fetch(element.getAttribute("data-geojson"))
    .then(function (response) { return response.json(); })
    .then(function (data) {
      L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {
            radius: 7, color: "#7a3b00", weight: 2, fillColor: "#ffffff", fillOpacity: 0.9
          });
        },
        onEachFeature: function (feature, layer) {
          var p = feature.properties || {};
          var link = document.createElement("a");
          link.href = element.getAttribute("data-geojson").replace(/map\.geojson$/, "items/" + p.id + "/");
          link.textContent = String(p.title || "");
          layer.bindPopup(link);
          var tip = document.createElement("span");
          tip.textContent = String(p.title || "");
          layer.bindTooltip(tip);
        }
      }).addTo(map);
    })
    .catch(function () { /* the list below the map has the same places */ });
})();
