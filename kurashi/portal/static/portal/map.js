// The map shell: GSI tiles (URL configurable) plus every layer modules registered.
// The page lists the same information without JavaScript or tiles.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var layers = JSON.parse(document.getElementById("map-layers").textContent);
  var map = L.map(element, { scrollWheelZoom: false }).setView([33.25, 130.1], 9);
  L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  var control = L.control.layers(null, null, { collapsed: false }).addTo(map);
  layers.forEach(function (layer) {
    fetch(layer.url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var geo = L.geoJSON(data, {
          style: function () {
            return { color: "#1d4f91", weight: 2, fillOpacity: 0.05, className: "map-layer--" + layer.key };
          },
          // Points as vector circles: no marker images (their path breaks under hashed static names).
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, {
              radius: 7, color: "#1d4f91", weight: 2, fillColor: "#ffffff", fillOpacity: 0.9,
              className: "map-layer--" + layer.key
            });
          },
          onEachFeature: function (feature, leafletLayer) {
            var p = feature.properties || {};
            var label = p.label || p.name_ja || p.name || "";
            if (label) {
              // A DOM node, not a string: Leaflet would insert a string as HTML.
              var tip = document.createElement("span");
              tip.textContent = String(label);
              leafletLayer.bindTooltip(tip);
            }
          }
        });
        if (layer.attribution) { map.attributionControl.addAttribution(layer.attribution); }
        control.addOverlay(geo, layer.title);
        if (layer.enabled) { geo.addTo(map); }
      })
      .catch(function () { /* the list below the map still has the data */ });
  });
})();
