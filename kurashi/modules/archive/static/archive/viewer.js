// Deep zoom for IIIF Image API 3.0 level-0 images: a Leaflet grid layer (CRS.Simple) that asks
// for exactly the static tiles listed in info.json. Without JavaScript the page shows the
// fallback image inside the same element.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  function iiifLayer(base, info, maxZoom) {
    var tileSize = info.tiles[0].width;
    var Layer = L.GridLayer.extend({
      createTile: function (coords, done) {
        var tile = document.createElement("img");
        tile.alt = "";
        var scale = Math.pow(2, maxZoom - coords.z);
        var x0 = coords.x * tileSize * scale;
        var y0 = coords.y * tileSize * scale;
        if (coords.x < 0 || coords.y < 0 || x0 >= info.width || y0 >= info.height) {
          setTimeout(function () { done(null, tile); }, 0);
          return tile;
        }
        var w = Math.min(tileSize * scale, info.width - x0);
        var h = Math.min(tileSize * scale, info.height - y0);
        var sw = Math.ceil(w / scale);
        var sh = Math.ceil(h / scale);
        tile.width = sw;
        tile.height = sh;
        tile.style.width = sw + "px";
        tile.style.height = sh + "px";
        tile.onload = function () { done(null, tile); };
        tile.onerror = function () { done(new Error("tile"), tile); };
        tile.src = base + "/" + [x0, y0, w, h].join(",") + "/" + sw + "," + sh + "/0/default.jpg";
        return tile;
      }
    });
    return new Layer({ tileSize: tileSize, minNativeZoom: 0, maxNativeZoom: maxZoom, noWrap: true });
  }

  function start(element) {
    var infoUrl = element.getAttribute("data-info");
    var base = infoUrl.replace(/\/info\.json$/, "");
    fetch(infoUrl).then(function (response) { return response.json(); }).then(function (info) {
      var factors = info.tiles[0].scaleFactors;
      var maxZoom = Math.round(Math.log(factors[factors.length - 1]) / Math.LN2);
      var fallback = element.querySelector(".archive-zoom__fallback");
      if (fallback) { fallback.remove(); }
      element.classList.add("archive-zoom--live");
      var map = L.map(element, {
        crs: L.CRS.Simple, minZoom: -3, maxZoom: maxZoom + 2, zoomSnap: 0.25,
        attributionControl: false, scrollWheelZoom: false
      });
      var bounds = L.latLngBounds(
        map.unproject([0, info.height], maxZoom),
        map.unproject([info.width, 0], maxZoom)
      );
      iiifLayer(base, info, maxZoom).addTo(map);
      map.fitBounds(bounds);
      map.setMaxBounds(bounds.pad(0.5));
    }).catch(function () { /* keep the fallback image */ });
  }

  document.querySelectorAll(".archive-zoom[data-info]").forEach(start);
})();
