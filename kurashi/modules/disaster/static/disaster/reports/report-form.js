// Field report form: "use my location" (browser geolocation, asked only on a click) and a Leaflet
// pin. Without JavaScript, or when the map tiles fail, the typed coordinates and the
// municipality + place fields still work; this file only fills in those same fields.
(function () {
  "use strict";
  var mapElement = document.getElementById("report-map");
  var latitude = document.getElementById("id_latitude");
  var longitude = document.getElementById("id_longitude");
  var source = document.getElementById("id_location_source");
  var status = document.getElementById("report-locate-status");
  if (!mapElement || !latitude || !longitude || !source) { return; }
  var texts = mapElement.dataset;

  function say(message) { if (status) { status.textContent = message; } }
  function round(value) { return Math.round(value * 1e6) / 1e6; }

  var map = null;
  var marker = null;

  function placeMarker(lat, lng, zoom) {
    if (!map) { return; }
    if (marker) { marker.setLatLng([lat, lng]); } else {
      // Explicit icon URLs: Leaflet cannot guess its image path from hashed static file names.
      var icon = L.icon({
        iconUrl: texts.markerIcon, iconRetinaUrl: texts.markerIcon2x, shadowUrl: texts.markerShadow,
        iconSize: [25, 41], iconAnchor: [12, 41], popupAnchor: [1, -34], shadowSize: [41, 41]
      });
      marker = L.marker([lat, lng], { icon: icon, draggable: true, keyboard: true, title: texts.pinned });
      marker.on("dragend", function () {
        var position = marker.getLatLng();
        setFields(position.lat, position.lng, "map");
      });
      marker.addTo(map);
    }
    if (zoom) { map.setView([lat, lng], Math.max(map.getZoom(), zoom)); }
  }

  function setFields(lat, lng, kind) {
    latitude.value = String(round(lat));
    longitude.value = String(round(lng));
    source.value = kind;
  }

  if (typeof L !== "undefined") {
    mapElement.hidden = false;
    map = L.map(mapElement, { scrollWheelZoom: false }).setView([33.25, 130.1], 9);
    var tilesFailed = false;
    L.tileLayer(texts.tileUrl, { attribution: texts.tileAttribution, maxZoom: 18 })
      .on("tileerror", function () {
        if (!tilesFailed) { tilesFailed = true; say(texts.tilesFailed); }
      })
      .addTo(map);
    // Municipal boundaries from our own server: orientation even when the tiles are down.
    fetch(texts.boundariesUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        L.geoJSON(data, {
          interactive: false,
          style: function () { return { color: "#1d4f91", weight: 1.5, fillOpacity: 0.03 }; }
        }).addTo(map);
      })
      .catch(function () { /* the form works without the outlines */ });
    map.on("click", function (event) {
      setFields(event.latlng.lat, event.latlng.lng, "map");
      placeMarker(event.latlng.lat, event.latlng.lng, 0);
      say(texts.pinned);
    });
    var lat0 = parseFloat(latitude.value);
    var lng0 = parseFloat(longitude.value);
    if (isFinite(lat0) && isFinite(lng0)) { placeMarker(lat0, lng0, 14); }
  }

  function typed() {
    var lat = parseFloat(latitude.value);
    var lng = parseFloat(longitude.value);
    source.value = "typed";
    if (isFinite(lat) && isFinite(lng)) { placeMarker(lat, lng, 0); }
  }
  latitude.addEventListener("change", typed);
  longitude.addEventListener("change", typed);

  // Refuse an oversized photo before uploading it (the server refuses it too, unread).
  var photo = document.getElementById("id_photo");
  var photoLimit = parseInt(texts.photoLimit, 10);
  if (photo && photoLimit > 0) {
    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      if (file && file.size > photoLimit) {
        photo.value = "";
        photo.setCustomValidity(texts.photoTooLarge);
        photo.reportValidity();
        say(texts.photoTooLarge);
      } else {
        photo.setCustomValidity("");
      }
    });
  }

  var locate = document.getElementById("report-locate");
  var button = document.getElementById("report-locate-button");
  if (locate && button && "geolocation" in navigator) {
    locate.hidden = false;
    button.addEventListener("click", function () {
      say(texts.locating);
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          button.disabled = false;
          setFields(position.coords.latitude, position.coords.longitude, "gps");
          placeMarker(position.coords.latitude, position.coords.longitude, 15);
          say(texts.located);
        },
        function () {
          button.disabled = false;
          say(texts.locateFailed);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }
})();
